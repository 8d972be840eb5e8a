// exp and log in f64 for shaders: WGSL's exp and log take f32 only (SPIR-V's GLSL.std.450 Exp
// and Log are 16/32-bit). These follow the classic fdlibm algorithms (e_exp.c, e_log.c): an
// argument reduction by ln 2 in two parts, then a minimax polynomial; both are within 1 ulp of
// the exact result. src/extraction/filters/device.rs tests them against Rust's f64::exp and
// f64::ln. Domain: exp64 for |x| <= 709 (every result normal), log64 for normal x > 0; the point
// filters call them only there.

const LN2_HI: f64 = 6.93147180369123816490e-01lf;
const LN2_LO: f64 = 1.90821492927058770002e-10lf;
const INV_LN2: f64 = 1.44269504088896338700e+00lf;
const SQRT2: f64 = 1.41421356237309504880lf;

fn exp64(x: f64) -> f64 {
    // x = k ln2 + r, |r| <= ln2 / 2, with ln2 in a high part (whose products with k are exact)
    // and a low part
    let k = round(x * INV_LN2);
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (1.66666666666666019037e-01lf + t * (-2.77777777770155933842e-03lf
        + t * (6.61375632143793436117e-05lf + t * (-1.65339022054652515390e-06lf
        + t * 4.13813679705723846039e-08lf))));
    let y = 1.0lf - ((lo - (r * c) / (2.0lf - c)) - hi);
    // 2^k in two steps, so that neither factor overflows on its own
    let ki = i32(k);
    return ldexp(ldexp(y, ki / 2), ki - ki / 2);
}

fn log64(x: f64) -> f64 {
    // x = 2^k m with sqrt(2)/2 <= m < sqrt(2): the exponent from an f32 estimate (WGSL has no
    // frexp for f64), corrected by one step either way
    var m = x;
    var k = 0;
    while m > 1e30lf {
        m = ldexp(m, -100);
        k += 100;
    }
    while m < 1e-30lf {
        m = ldexp(m, 100);
        k -= 100;
    }
    let e = i32(floor(log2(f32(m))));
    m = ldexp(m, -e);
    k += e;
    if m >= 2.0lf {
        m *= 0.5lf;
        k += 1;
    }
    if m < 1.0lf {
        m *= 2.0lf;
        k -= 1;
    }
    if m >= SQRT2 {
        m *= 0.5lf;
        k += 1;
    }
    // log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)), s = f / (2 + f)
    let f = m - 1.0lf;
    let dk = f64(k);
    let s = f / (2.0lf + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (3.999999999940941908e-01lf + w * (2.222219843214978396e-01lf
        + w * 1.531383769920937332e-01lf));
    let t2 = z * (6.666666666666735130e-01lf + w * (2.857142874366239149e-01lf
        + w * (1.818357216161805012e-01lf + w * 1.479819860511658591e-01lf)));
    let r = t2 + t1;
    let half_square = 0.5lf * f * f;
    return dk * LN2_HI - ((half_square - (s * (half_square + r) + dk * LN2_LO)) - f);
}
