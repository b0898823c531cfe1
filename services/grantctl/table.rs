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

/// Whether a character may redraw a terminal or reorder what follows it:
/// control characters (C0, DEL, C1), line and paragraph separators, and
/// the bidirectional marks, embeddings, overrides and isolates.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` as it may be printed for people: control and bidirectional
/// characters escaped (`\n`, `\u{202e}`), so a value can neither draw a
/// fake row nor turn the rest of its line around.
pub fn safe(s: &str) -> String {
    if !s.chars().any(unsafe_char) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:04x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A table: a header row and data rows; renders with every column padded
/// to its widest cell (the last column is not padded). Cells are printed
/// [`safe`].
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(|c| safe(c)).collect()).collect();
    let rows = rows.as_slice();
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
/// values are left out. A value of several lines (an abstract) continues
/// indented under itself, so it cannot pass for another field; each line
/// is printed [`safe`].
pub fn fields(pairs: &[(&str, String)]) -> String {
    let shown: Vec<&(&str, String)> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let label_width = shown.iter().map(|(k, _)| width(k) + 1).max().unwrap_or(0);
    let mut out = String::new();
    let indent = " ".repeat(label_width + GAP);
    for (label, value) in shown {
        out.push_str(&pad(&format!("{label}:"), label_width + GAP));
        let lines: Vec<String> = value
            .split('\n')
            .map(|line| safe(line.strip_suffix('\r').unwrap_or(line)))
            .collect();
        out.push_str(&lines.join(&format!("\n{indent}")));
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
    fn control_and_bidirectional_characters_are_escaped() {
        let t = render(
            &["NAME", "LOCAL"],
            &[vec!["Evil U\n  institutions/zzz  Fake University".into(), "x".into()]],
        );
        assert_eq!(t.lines().count(), 2, "one header and one row: {t}");
        assert!(t.contains("Evil U\\n  institutions/zzz"), "{t}");
        assert_eq!(safe("Invoice \u{202e}exe.ssalc"), "Invoice \\u{202e}exe.ssalc");
        assert_eq!(safe("a\u{2066}b\u{1b}[2Jc"), "a\\u{2066}b\\u{001b}[2Jc");
        assert_eq!(safe("粤港澳"), "粤港澳");
    }

    #[test]
    fn field_values_of_several_lines_stay_under_their_label() {
        let f = fields(&[("Title", "t".into()), ("Abstract", "one\nName:  forged\u{202e}".into())]);
        assert_eq!(f, "Title:     t\nAbstract:  one\n           Name:  forged\\u{202e}\n");
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
