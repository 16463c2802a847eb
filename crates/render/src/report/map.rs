//! A choropleth of the country's regions, drawn on the server as SVG from vendored outlines
//! (`data/geo/<country>-regions-map.json`, built by `tools/geo/build_region_map.py`). A
//! country without an outline file gets the table only; nothing here is Peru-only except the
//! one file shipped.

use super::charts::esc;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Outline {
    country: String,
    width: f64,
    height: f64,
    regions: Vec<Region>,
}

#[derive(Deserialize)]
struct Region {
    code: String,
    name: String,
    d: String,
}

const SHIPPED: &[&str] = &[include_str!("../../../../data/geo/pe-regions-map.json")];

fn outlines() -> &'static Vec<Outline> {
    static O: OnceLock<Vec<Outline>> = OnceLock::new();
    // The files are ours and checked by a test; one that does not parse is left out.
    O.get_or_init(|| SHIPPED.iter().filter_map(|s| serde_json::from_str(s).ok()).collect())
}

/// Five shades of blue, light to dark.
const SHADES: [&str; 5] = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

/// The map for `country` with `values` by region code, or `None` without an outline.
pub fn choropleth(country: &str, values: &BTreeMap<String, u64>, title: &str, none_label: &str) -> Option<String> {
    let o = outlines().iter().find(|o| o.country.eq_ignore_ascii_case(country))?;
    let max = values.values().copied().max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" aria-labelledby="map-t" viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title id="map-t">{t}</title>"#,
        w = o.width,
        h = o.height + 40.0,
        t = esc(title),
    );
    for r in &o.regions {
        let v = values.get(&r.code).copied();
        let fill = match v {
            Some(n) if n > 0 => {
                let k = ((n as f64 / max) * (SHADES.len() as f64 - 1.0)).round() as usize;
                SHADES.get(k).copied().unwrap_or("#08519c")
            }
            _ => "#f4f4f4",
        };
        let label = match v {
            Some(n) => format!("{}: {n}", r.name),
            None => format!("{}: {none_label}", r.name),
        };
        s.push_str(&format!(
            r##"<path d="{d}" fill="{fill}" stroke="#666" stroke-width="0.6" data-region="{code}"><title>{l}</title></path>"##,
            d = r.d,
            code = esc(&r.code),
            l = esc(&label),
        ));
    }
    // Legend: 0 … max.
    let y = o.height + 14.0;
    for (i, c) in SHADES.iter().enumerate() {
        s.push_str(&format!(
            r##"<rect x="{}" y="{y}" width="28" height="10" fill="{c}" stroke="#666" stroke-width="0.4"/>"##,
            10.0 + i as f64 * 28.0
        ));
    }
    s.push_str(&format!(
        r##"<text x="10" y="{}" font-size="10">1</text><text x="150" y="{}" font-size="10" text-anchor="end">{}</text>"##,
        y + 22.0,
        y + 22.0,
        max as u64
    ));
    s.push_str("</svg>");
    Some(s)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_outline_parses_and_has_every_peruvian_department_by_code() {
        let o = outlines().iter().find(|o| o.country == "PE").expect("PE outline");
        assert_eq!(o.regions.len(), 25, "25 departments (Lima Province drawn inside Lima)");
        assert!(o.regions.iter().any(|r| r.code == "PE-21" && r.name == "Puno"), "the source's Callao label on PE.21 is fixed");
        assert!(o.regions.iter().all(|r| r.d.starts_with('M')));
    }

    #[test]
    fn regions_are_shaded_by_value_and_carry_their_figure() {
        let mut v = BTreeMap::new();
        v.insert("PE-16".to_owned(), 62);
        v.insert("PE-21".to_owned(), 8);
        let svg = choropleth("PE", &v, "Víctimas <por> región", "sin datos").expect("map");
        assert!(svg.contains("<title>Loreto: 62</title>"));
        assert!(svg.contains(r##"data-region="PE-16""##) && svg.contains("#08519c"), "the largest value is the darkest");
        assert!(svg.contains("Víctimas &lt;por&gt; región"), "text is escaped");
        assert!(svg.contains("Cusco: sin datos"));
        assert!(choropleth("XX", &v, "t", "n").is_none(), "no outline, no map");
    }
}
