//! Aligned text tables and field lists, padded by display width (a CJK
//! character takes two columns), so bilingual names line up.

use unicode_width::UnicodeWidthStr;

/// Columns are separated by this many spaces.
const GAP: usize = 2;

/// The display width of `s` in a terminal.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `cols` display columns.
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(width(s))));
    out
}

/// `s` cut to at most `cols` display columns, ending in `…` when cut.
pub fn truncate(s: &str, cols: usize) -> String {
    if width(s) <= cols {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > cols {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A table: a header row and data rows; renders with every column padded
/// to its widest cell (the last column is not padded).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&pad(cell, widths[i] + GAP));
            }
        }
        out.trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// A field list: `Label:  value` lines with the values aligned; empty
/// values are left out.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let shown: Vec<&(&str, String)> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let label_width = shown.iter().map(|(k, _)| width(k) + 1).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in shown {
        out.push_str(&pad(&format!("{label}:"), label_width + GAP));
        out.push_str(value);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_takes_two_columns() {
        assert_eq!(width("香港大學"), 8);
        assert_eq!(pad("澳門", 6), "澳門  ");
        let t = render(
            &["NAME", "LOCAL", "REGION"],
            &[
                vec![
                    "The University of Hong Kong".into(),
                    "香港大學".into(),
                    "Hong Kong".into(),
                ],
                vec!["University of Macau".into(), "澳門大學".into(), "Macao".into()],
            ],
        );
        let expected = "\
NAME                         LOCAL     REGION
The University of Hong Kong  香港大學  Hong Kong
University of Macau          澳門大學  Macao
";
        assert_eq!(t, expected);
    }

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("粤港澳大湾区联合研究", 9), "粤港澳大…");
        assert_eq!(truncate("short", 9), "short");
    }

    #[test]
    fn field_lists_skip_empty_values() {
        let f = fields(&[
            ("Name", "x".into()),
            ("ROR", String::new()),
            ("Local name", "香港".into()),
        ]);
        assert_eq!(f, "Name:        x\nLocal name:  香港\n");
    }
}
