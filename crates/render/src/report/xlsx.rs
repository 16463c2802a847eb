//! The annual report as a workbook: one sheet with every figure (label, JSON path, the year
//! and the year before), indented by level, so an analyst can sort and chart it.
//! Strings are written as strings, never formulas, and labels are neutralised anyway.

use super::{Line, neutralise, title};
use crate::i18n::{Lang, Tr};
use amparo_core::usecases::statistics::AnnualReport;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub(super) fn render(r: &AnnualReport, lines: &[Line], lang: Lang) -> Result<Vec<u8>, String> {
    build(r, lines, lang).map_err(|e| e.to_string())
}

fn build(r: &AnnualReport, lines: &[Line], lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let t = Tr::new(lang);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(t.t("stat-sheet"))?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, neutralise(&title(r, lang)), &bold)?;
    ws.write_string(1, 0, neutralise(&t.t("stat-definitions-short")))?;
    let header = 3;
    ws.write_string_with_format(header, 0, t.t("stat-col-figure"), &bold)?;
    ws.write_string_with_format(header, 1, r.current.year.to_string(), &bold)?;
    ws.write_string_with_format(header, 2, r.previous.year.to_string(), &bold)?;
    ws.write_string_with_format(header, 3, t.t("stat-col-metric"), &bold)?;
    ws.set_column_width(0, 60)?;
    ws.set_column_width(1, 12)?;
    ws.set_column_width(2, 12)?;
    ws.set_column_width(3, 50)?;
    for (i, l) in lines.iter().enumerate() {
        let row = header + 1 + i as u32;
        let mut f = Format::new().set_indent(l.depth.min(8) as u8);
        if l.heading {
            f = f.set_bold();
        }
        ws.write_string_with_format(row, 0, neutralise(&l.label), &f)?;
        if let Some(v) = l.value {
            ws.write_number(row, 1, v as f64)?;
        }
        if let Some(v) = l.previous {
            ws.write_number(row, 2, v as f64)?;
        }
        ws.write_string(row, 3, &l.metric)?;
    }
    wb.save_to_buffer()
}
