//! Wavelet filter, as PyRadiomics' `getWaveletImage` computes it with PyWavelets' stationary
//! (undecimated) transform `pywt.swtn`.
//!
//! # Math
//!
//! One level filters every row with the wavelet's low-pass `h` and high-pass `g` decomposition
//! filters (length `F`), then every column of both results, without downsampling. Along a line
//! `u` of even length `N`, PyWavelets' level-1 `swt` in periodization mode gives
//!
//! ```text
//! a[o] = Σ_{j=0}^{F-1} h[j] u[(o + F/2 − j) mod N]      (approximation, "L")
//! d[o] = Σ_{j=0}^{F-1} g[j] u[(o + F/2 − j) mod N]      (detail, "H")
//! ```
//!
//! summed in PyWavelets' order (increasing `j`, except near the right end, where the taps that
//! wrap to the start come first). The 2D sub-bands are named x first, then y:
//! `LH` = low-pass along x, high-pass along y; `HL` = high along x, low along y; `HH`; and the
//! approximation `LL`.
//!
//! **Padding and cropping (PyRadiomics):** an odd width or height is first padded by one
//! sample that repeats the first one (`numpy.pad(..., 'wrap')`), since the transform needs even
//! lengths; every sub-band is cropped back to the input size. With `level > 1`, each further
//! level transforms the previous level's (uncropped) `LL` with the same level-1 filters
//! (PyRadiomics calls `swtn` with `level=1` every time, so the filters are not dilated);
//! `start_level` levels are computed and dropped first.
//!
//! **Names:** level 1 gives `wavelet-LH`, `wavelet-HL`, `wavelet-HH`; level `k > 1` gives
//! `wavelet<k>-LH`, ...; the last approximation comes last, as `wavelet-LL` (or
//! `wavelet<level>-LL`).
//!
//! **One axis (PyRadiomics' `force2D`):** with a fixed array axis, PyRadiomics transforms only
//! along the other one (`swtn(..., axes=(a,))`): each level gives `H` and the approximation
//! `L` (`wavelet-H`, then `wavelet-L`); padding and cropping are as above.

use super::wavelet_coefficients::{FilterBank, FILTER_BANKS};
use super::{check_shape, derived, FilterError, FilteredImage};
use crate::io::Image;

/// A wavelet of PyWavelets' families that PyRadiomics documents: `haar`, `db1`–`db20`,
/// `sym2`–`sym20`, `coif1`–`coif5`, `bior*` / `rbio*` (1.1 ... 6.8) and `dmey`.
#[derive(Clone, Copy)]
pub struct Wavelet {
    /// Its decomposition filters.
    bank: &'static FilterBank,
}

impl std::fmt::Debug for Wavelet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wavelet({})", self.bank.name)
    }
}

impl PartialEq for Wavelet {
    fn eq(&self, other: &Wavelet) -> bool {
        self.bank.name == other.bank.name
    }
}

impl Wavelet {
    /// The wavelet PyWavelets calls `name` (`coif1`, `db4`, `bior2.2`, ...).
    pub fn from_name(name: &str) -> Result<Wavelet, FilterError> {
        FILTER_BANKS
            .iter()
            .find(|bank| bank.name == name)
            .map(|bank| Wavelet { bank })
            .ok_or_else(|| FilterError::UnknownWavelet {
                name: name.to_string(),
            })
    }

    /// PyWavelets' name of the wavelet.
    pub fn name(&self) -> &'static str {
        self.bank.name
    }

    /// The low-pass decomposition filter (`pywt.Wavelet(name).dec_lo`).
    pub fn low_pass(&self) -> &'static [f64] {
        self.bank.low
    }

    /// The high-pass decomposition filter (`pywt.Wavelet(name).dec_hi`).
    pub fn high_pass(&self) -> &'static [f64] {
        self.bank.high
    }

    /// Names of every supported wavelet.
    pub fn supported() -> impl Iterator<Item = &'static str> {
        FILTER_BANKS.iter().map(|bank| bank.name)
    }
}

impl Default for Wavelet {
    /// `coif1`, PyRadiomics' default.
    fn default() -> Wavelet {
        Wavelet {
            bank: &FILTER_BANKS[COIF1],
        }
    }
}

/// Index of `coif1` in the filter table.
const COIF1: usize = 1 + 20 + 19;

/// Wavelet settings, as PyRadiomics names them.
///
/// | Setting | Default | Purpose |
/// |---|---|---|
/// | `wavelet` | `coif1` | the wavelet |
/// | `level` | 1 | levels whose sub-bands are returned |
/// | `start_level` | 0 | levels computed and dropped before those |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaveletSettings {
    /// The wavelet.
    pub wavelet: Wavelet,
    /// Number of levels returned (at least 1).
    pub level: u32,
    /// Number of levels skipped first.
    pub start_level: u32,
    /// The one array axis transformed (0: along the columns, 1: along the rows), as
    /// PyRadiomics' `force2D` leaves it; `None`: both.
    pub axis: Option<usize>,
}

impl Default for WaveletSettings {
    fn default() -> WaveletSettings {
        WaveletSettings {
            wavelet: Wavelet::default(),
            level: 1,
            start_level: 0,
            axis: None,
        }
    }
}

/// A row-major 2D array of the padded size.
struct Plane {
    /// Columns.
    width: usize,
    /// Rows.
    height: usize,
    /// Values, row-major.
    values: Vec<f64>,
}

/// The four sub-bands of one level, named by axis x then y.
struct Level {
    /// Low along x and y.
    ll: Plane,
    /// Low along x, high along y.
    lh: Plane,
    /// High along x, low along y.
    hl: Plane,
    /// High along both.
    hh: Plane,
}

/// Most `level` (and most `start_level`) a parameter file may give: the standard (dilated)
/// stationary wavelet transform of an image of up to 2³² pixels a side has at most 32 levels.
/// PyRadiomics' undilated levels have no such limit, but each is a whole transform of the
/// image, so the bound keeps a run's time bounded; checked before any case is read.
pub const MAX_WAVELET_LEVELS: u32 = 32;

/// Most memory the sub-band images of one case's wavelet may hold together (8 bytes a pixel):
/// the levels that fit depend on the image, so they are checked per case
/// ([`check_level_fits`]).
pub const WAVELET_MEMORY_LIMIT: u64 = 1 << 30;

/// An error naming the level when the sub-bands of `settings.level` levels of an image of
/// `width × height` pixels would take more than [`WAVELET_MEMORY_LIMIT`], with the largest
/// level that fits.
pub fn check_level_fits(
    (width, height): (usize, usize),
    settings: &WaveletSettings,
) -> Result<(), FilterError> {
    let padded = ((width + width % 2) * (height + height % 2)) as u64;
    let per_level: u64 = if settings.axis.is_some() { 1 } else { 3 };
    let images = per_level * u64::from(settings.level) + 1;
    let bytes_per_image = padded.max(1) * 8;
    if images.saturating_mul(bytes_per_image) <= WAVELET_MEMORY_LIMIT {
        return Ok(());
    }
    let largest = (WAVELET_MEMORY_LIMIT / bytes_per_image).saturating_sub(1) / per_level;
    Err(FilterError::WaveletLevelTooLarge {
        level: settings.level,
        images,
        width,
        height,
        largest,
    })
}

/// Every wavelet image of `image`: for each returned level its `LH`, `HL`, `HH` sub-bands,
/// then the last approximation `LL` (see the module docs for the math and the names).
pub fn wavelet(
    image: &Image,
    settings: &WaveletSettings,
) -> Result<Vec<FilteredImage>, FilterError> {
    check_shape(image)?;
    if settings.level == 0 {
        return Err(FilterError::InvalidWaveletLevel {
            level: settings.level,
        });
    }
    check_level_fits((image.width, image.height), settings)?;
    let bank = settings.wavelet.bank;
    let mut data = pad_even(image);
    for _ in 0..settings.start_level {
        data = bands(&data, bank, settings.axis).0;
    }
    let mut out = Vec::with_capacity(3 * settings.level as usize + 1);
    for index in 1..=settings.level {
        let (approximation, details) = bands(&data, bank, settings.axis);
        let prefix = level_prefix(index);
        for (band, plane) in details {
            out.push(derived(
                image,
                format!("{prefix}-{band}"),
                crop(&plane, image),
            ));
        }
        data = approximation;
    }
    let low = if settings.axis.is_some() { "L" } else { "LL" };
    out.push(derived(
        image,
        format!("{}-{low}", level_prefix(settings.level)),
        crop(&data, image),
    ));
    Ok(out)
}

/// One level's approximation and its named detail sub-bands: `LH`, `HL`, `HH` over both axes,
/// or `H` along `axis` alone.
fn bands(
    data: &Plane,
    bank: &FilterBank,
    axis: Option<usize>,
) -> (Plane, Vec<(&'static str, Plane)>) {
    match axis {
        None => {
            let level = transform(data, bank);
            let details = vec![("LH", level.lh), ("HL", level.hl), ("HH", level.hh)];
            (level.ll, details)
        }
        Some(axis) => {
            let (low, high) = if axis == 1 {
                along_rows(data, bank)
            } else {
                along_columns(data, bank)
            };
            (low, vec![("H", high)])
        }
    }
}

/// `wavelet` for level 1, `wavelet<k>` above.
pub(crate) fn level_prefix(index: u32) -> String {
    if index == 1 {
        "wavelet".to_string()
    } else {
        format!("wavelet{index}")
    }
}

/// The image with an odd width or height padded by one wrapped sample (`numpy.pad` 'wrap').
fn pad_even(image: &Image) -> Plane {
    let width = image.width + image.width % 2;
    let height = image.height + image.height % 2;
    let mut values = Vec::with_capacity(width * height);
    for y in 0..height {
        let row = (y % image.height) * image.width;
        values.extend((0..width).map(|x| image.pixels[row + x % image.width]));
    }
    Plane {
        width,
        height,
        values,
    }
}

/// The top-left `image.width x image.height` part of a padded plane.
fn crop(plane: &Plane, image: &Image) -> Vec<f64> {
    let mut out = Vec::with_capacity(image.width * image.height);
    for y in 0..image.height {
        let row = y * plane.width;
        out.extend_from_slice(&plane.values[row..row + image.width]);
    }
    out
}

/// One level of `swtn` over axes (x, y): rows first, then columns.
fn transform(data: &Plane, bank: &FilterBank) -> Level {
    let (low_x, high_x) = along_rows(data, bank);
    let (ll, lh) = along_columns(&low_x, bank);
    let (hl, hh) = along_columns(&high_x, bank);
    Level { ll, lh, hl, hh }
}

/// Low- and high-pass of every row.
fn along_rows(data: &Plane, bank: &FilterBank) -> (Plane, Plane) {
    let (width, height) = (data.width, data.height);
    let mut low = vec![0.0; width * height];
    let mut high = vec![0.0; width * height];
    for y in 0..height {
        let span = y * width..(y + 1) * width;
        let line = &data.values[span.clone()];
        periodic_convolution(line, bank.low, &mut low[span.clone()]);
        periodic_convolution(line, bank.high, &mut high[span]);
    }
    let plane = |values| Plane {
        width,
        height,
        values,
    };
    (plane(low), plane(high))
}

/// Low- and high-pass of every column.
fn along_columns(data: &Plane, bank: &FilterBank) -> (Plane, Plane) {
    let (width, height) = (data.width, data.height);
    let mut low = vec![0.0; width * height];
    let mut high = vec![0.0; width * height];
    let mut line = vec![0.0; height];
    let mut low_line = vec![0.0; height];
    let mut high_line = vec![0.0; height];
    for x in 0..width {
        for (y, v) in line.iter_mut().enumerate() {
            *v = data.values[y * width + x];
        }
        periodic_convolution(&line, bank.low, &mut low_line);
        periodic_convolution(&line, bank.high, &mut high_line);
        for y in 0..height {
            low[y * width + x] = low_line[y];
            high[y * width + x] = high_line[y];
        }
    }
    let plane = |values| Plane {
        width,
        height,
        values,
    };
    (plane(low), plane(high))
}

/// PyWavelets' level-1 `swt` of one line: circular convolution with `filter`, output shifted by
/// `F/2`, in PyWavelets' summation order (`downsampling_convolution_periodization` with step 1).
fn periodic_convolution(input: &[f64], filter: &[f64], output: &mut [f64]) {
    let n = input.len();
    let taps = filter.len();
    // Input index (i - j) mod n.
    let wrap = |i: usize, j: usize| (i + taps * n - j) % n;
    for (o, out) in output.iter_mut().enumerate() {
        // Position of the output sample on the input line.
        let i = o + taps / 2;
        let mut sum = 0.0;
        if i < n {
            for (j, &h) in filter.iter().enumerate() {
                sum += h * input[wrap(i, j)];
            }
        } else {
            // Past the right end PyWavelets first adds the taps that reach past the end,
            // from the tap at the end back to tap 0, then the rest in order.
            let past = i - n;
            for j in 0..=past.min(taps - 1) {
                sum += filter[past - j] * input[j % n];
            }
            for (j, &h) in filter.iter().enumerate().skip(past + 1) {
                sum += h * input[wrap(i, j)];
            }
        }
        *out = sum;
    }
}
