//! Building blocks of the self-contained HTML report: escaping, tables, sections, and the page
//! (inline CSS, inline SVG figures, no external resource).

/// Escape `&`, `<`, `>` and `"` for HTML text and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number with four significant decimals, `NA` when undefined.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        "NA".into()
    } else if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// A p value: `< 0.001` below 0.001, otherwise three decimals.
pub fn p_value(p: f64) -> String {
    if !p.is_finite() {
        "NA".into()
    } else if p < 0.001 {
        "&lt; 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// An HTML table; cells are inserted as given (escape text before).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{cell}</td>"));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A figure: inline SVG (its XML prolog and namespace attributes removed, so the page names
/// no URL) with a caption.
pub fn figure(id: &str, svg: &str, caption: &str) -> String {
    let body = svg
        .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "");
    format!(
        "<figure id=\"figure-{id}\" class=\"figure\">{body}<figcaption>{}</figcaption></figure>",
        escape(caption)
    )
}

/// A section with an id and a heading.
pub fn section(id: &str, title: &str, body: &str) -> String {
    format!(
        "<section id=\"{id}\"><h2>{}</h2>{body}</section>\n",
        escape(title)
    )
}

/// The whole page.
pub fn page(title: &str, sections: &[String]) -> String {
    let nav: String = sections
        .iter()
        .filter_map(|s| {
            let id = s.split("id=\"").nth(1)?.split('"').next()?;
            let heading = s.split("<h2>").nth(1)?.split("</h2>").next()?;
            Some(format!("<li><a href=\"#{id}\">{heading}</a></li>"))
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{CSS}</style></head><body><h1>{}</h1><nav><ol>{nav}</ol></nav>\n{}</body></html>\n",
        escape(title),
        escape(title),
        sections.concat()
    )
}

const CSS: &str = "body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1100px;margin:2em auto;\
padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\
th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}th{background:#eee}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:0.9em;color:#555}\
code,pre{background:#f4f4f4;padding:2px 4px;white-space:pre-wrap;word-break:break-all}\
.note{background:#fff6d6;padding:0.5em 1em;border-left:4px solid #e0b000}";
