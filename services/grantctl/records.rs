//! Exported records: a table of named columns written as CSV (RFC 4180:
//! comma separated, CRLF line endings, a header row, a field quoted when
//! it holds a comma, a double quote, CR or LF, quotes doubled; UTF-8) or
//! as JSON Lines (one object a line, keys the column names, every value a
//! string), one row at a time; and the file an export goes to, written
//! beside its final name and renamed into place only when complete.
//! Self-contained (std, csv and serde_json only), so the tests can include
//! it whole.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The byte order mark Excel looks for to read a CSV file as UTF-8.
pub const BOM: &str = "\u{feff}";

/// What a column holds. Only text is ever prefixed against formula
/// injection; amounts, rates, counts and times are written as they are
/// (`-5.00` stays a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
}

/// One column: its name (the CSV header and the JSON key) and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// A text column.
pub const fn text(name: &'static str) -> Column {
    Column { name, kind: Kind::Text }
}

/// An amount, rate, count or time.
pub const fn number(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Number,
    }
}

/// The columns of one kind of export, in order.
pub type Table = &'static [Column];

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Csv,
    Jsonl,
}

/// The first characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// A text value as Excel should see it: prefixed with `'` when it starts
/// with `=`, `+`, `-` or `@`, so it stays text instead of a formula.
pub fn defused(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

enum Inner<W: Write> {
    /// Boxed: the csv writer carries its own buffer.
    Csv(Box<csv::Writer<W>>),
    Jsonl(BufWriter<W>),
}

/// Writes rows of one table to `W`.
pub struct Writer<W: Write> {
    inner: Inner<W>,
    table: Table,
    excel: bool,
}

impl<W: Write> Writer<W> {
    /// Starts the output: for CSV the byte order mark (with `excel`) and
    /// the header row. `excel` also prefixes text that a spreadsheet would
    /// take for a formula; it changes nothing in JSON Lines.
    pub fn new(mut out: W, table: Table, layout: Layout, excel: bool) -> io::Result<Self> {
        let inner = match layout {
            Layout::Csv => {
                if excel {
                    out.write_all(BOM.as_bytes())?;
                }
                let mut csv = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .quote_style(csv::QuoteStyle::Necessary)
                    .from_writer(out);
                csv.write_record(table.iter().map(|c| c.name)).map_err(io_error)?;
                Inner::Csv(Box::new(csv))
            }
            Layout::Jsonl => Inner::Jsonl(BufWriter::new(out)),
        };
        Ok(Self { inner, table, excel })
    }

    /// One row: a value for each column, in the table's order ("" for an
    /// absent value).
    pub fn row(&mut self, values: &[String]) -> io::Result<()> {
        if values.len() != self.table.len() {
            return Err(io::Error::other(format!(
                "a row of {} values for {} columns",
                values.len(),
                self.table.len()
            )));
        }
        match &mut self.inner {
            Inner::Csv(csv) => {
                let excel = self.excel;
                let fields = self.table.iter().zip(values).map(|(column, value)| {
                    if excel && column.kind == Kind::Text {
                        defused(value)
                    } else {
                        value.as_str().into()
                    }
                });
                let fields: Vec<std::borrow::Cow<'_, str>> = fields.collect();
                csv.write_record(fields.iter().map(|f| f.as_bytes()))
                    .map_err(io_error)?;
            }
            Inner::Jsonl(out) => {
                let mut line = String::from("{");
                for (i, (column, value)) in self.table.iter().zip(values).enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(&json_string(column.name));
                    line.push(':');
                    line.push_str(&json_string(value));
                }
                line.push_str("}\n");
                out.write_all(line.as_bytes())?;
            }
        }
        Ok(())
    }

    /// Pushes what was written so far out to `W` (after each page).
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Csv(csv) => csv.flush(),
            Inner::Jsonl(out) => out.flush(),
        }
    }

    /// Flushes and gives `W` back.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Csv(csv) => csv.into_inner().map_err(|e| e.into_error()),
            Inner::Jsonl(out) => out.into_inner().map_err(|e| e.into_error()),
        }
    }
}

/// The I/O error inside a csv error as it was (a closed pipe stays
/// `BrokenPipe`).
fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A file being written under a temporary name beside `target`, renamed
/// to `target` by [`AtomicFile::commit`]; dropped uncommitted (an error, an
/// interruption), it is removed and `target` stays as it was.
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates `.NAME.grantctl-PID.tmp` in `target`'s directory.
    pub fn create(target: &Path) -> io::Result<Self> {
        Self::create_with(target, &File::options())
    }

    /// Like [`AtomicFile::create`], readable and writable by its owner
    /// alone (0600 on Unix), for a secret: `target` ends up that way too.
    pub fn create_private(target: &Path) -> io::Result<Self> {
        let mut options = File::options();
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        Self::create_with(target, &options)
    }

    fn create_with(target: &Path, options: &std::fs::OpenOptions) -> io::Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "is not a file name"))?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a directory"));
        }
        let temp = dir.join(format!(
            ".{}.grantctl-{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = options.clone().write(true).create_new(true).open(&temp)?;
        Ok(Self {
            temp,
            target: target.to_path_buf(),
            file: Some(file),
        })
    }

    /// The temporary file's path.
    #[cfg(test)]
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Syncs the content and renames the file to its target, replacing
    /// whatever was there.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        std::fs::rename(&self.temp, &self.target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("the file is closed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: Table = &[text("name"), text("title"), number("amount"), text("currency")];

    fn row(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    fn written(layout: Layout, excel: bool, rows: &[Vec<String>]) -> String {
        let mut w = Writer::new(Vec::new(), TABLE, layout, excel).unwrap();
        for r in rows {
            w.row(r).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    fn tricky() -> Vec<Vec<String>> {
        vec![
            row(&["a/1", "Typhoons, floods and \"storm surge\"", "1234567.89", "CNY"]),
            row(&["a/2", "Line one\nline two\r\nthree", "-5.05", "HKD"]),
            row(&["a/3", "=HYPERLINK(\"x\")", "0.00", "CNY"]),
            row(&["a/4", "香港大學, 澳門大學", "", ""]),
        ]
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks_and_ends_lines_with_crlf() {
        assert_eq!(
            written(Layout::Csv, false, &tricky()),
            "name,title,amount,currency\r\n\
             a/1,\"Typhoons, floods and \"\"storm surge\"\"\",1234567.89,CNY\r\n\
             a/2,\"Line one\nline two\r\nthree\",-5.05,HKD\r\n\
             a/3,\"=HYPERLINK(\"\"x\"\")\",0.00,CNY\r\n\
             a/4,\"香港大學, 澳門大學\",,\r\n"
        );
    }

    #[test]
    fn excel_adds_the_bom_and_defuses_formulas_in_text_only() {
        let out = written(Layout::Csv, true, &tricky());
        assert!(out.starts_with(BOM), "{out:?}");
        assert_eq!(out.matches(BOM).count(), 1);
        let body = out.strip_prefix(BOM).unwrap();
        assert!(body.starts_with("name,title,amount,currency\r\n"), "{body:?}");
        assert!(
            body.contains("a/2,\"Line one\nline two\r\nthree\",-5.05,HKD\r\n"),
            "{body:?}"
        );
        assert!(body.contains("a/3,\"'=HYPERLINK(\"\"x\"\")\",0.00,CNY\r\n"), "{body:?}");
        for (value, expected) in [
            ("=1+1", "'=1+1"),
            ("+852 2859 2111", "'+852 2859 2111"),
            ("-dash", "'-dash"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("plain", "plain"),
            ("", ""),
            (" =not first", " =not first"),
        ] {
            assert_eq!(defused(value), expected);
        }
        // Without --excel the data is written as it is.
        let plain = written(Layout::Csv, false, &[row(&["a/5", "@risk", "-1.00", "CNY"])]);
        assert_eq!(plain, "name,title,amount,currency\r\na/5,@risk,-1.00,CNY\r\n");
    }

    #[test]
    fn json_lines_keep_column_order_and_values_unprefixed() {
        for excel in [false, true] {
            let out = written(Layout::Jsonl, excel, &tricky());
            assert!(!out.starts_with(BOM));
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), 4);
            assert!(lines[0].starts_with("{\"name\":\"a/1\",\"title\":"), "{}", lines[0]);
            let third: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
            assert_eq!(third["title"], "=HYPERLINK(\"x\")");
            let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
            assert_eq!(second["title"], "Line one\nline two\r\nthree");
            assert_eq!(second["amount"], "-5.05");
            let fourth: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
            assert_eq!(fourth["currency"], "");
            assert_eq!(fourth["title"], "香港大學, 澳門大學");
        }
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut w = Writer::new(Vec::new(), TABLE, Layout::Csv, false).unwrap();
        assert!(w.row(&row(&["only", "three", "values"])).is_err());
    }

    #[test]
    fn a_file_appears_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("grantctl-records-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("awards.csv");
        std::fs::write(&target, "old").unwrap();

        let mut f = AtomicFile::create(&target).unwrap();
        let temp = f.temp_path().to_path_buf();
        assert_eq!(temp.parent(), Some(dir.as_path()), "beside the target");
        f.write_all(b"half").unwrap();
        drop(f);
        assert!(!temp.exists(), "an abandoned export leaves no temporary file");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");

        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"whole").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("awards.csv")]);
        assert!(AtomicFile::create(&dir).is_err(), "a directory is no file");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_replaces_an_open_one_and_is_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("grantctl-records-private-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("hook.secret");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = AtomicFile::create_private(&target).unwrap();
        f.write_all(b"whsec_x\n").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whsec_x\n");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
