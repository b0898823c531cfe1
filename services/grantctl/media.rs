//! Media types of documents: guessed from a file's extension, and the
//! short words (`pdf`, `docx`) flags take for them.

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The media types the server recognises, with the short word for each
/// and the extensions that mean it.
pub const KNOWN: [(&str, &str, &[&str]); 7] = [
    ("pdf", PDF, &["pdf"]),
    ("png", "image/png", &["png"]),
    ("jpeg", "image/jpeg", &["jpg", "jpeg"]),
    ("docx", DOCX, &["docx"]),
    ("xlsx", XLSX, &["xlsx"]),
    ("csv", "text/csv", &["csv"]),
    ("txt", "text/plain", &["txt", "text"]),
];

/// The media type a file name's extension stands for, if one the server
/// recognises.
pub fn guess(file_name: &str) -> Option<&'static str> {
    let (_, extension) = file_name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    KNOWN
        .iter()
        .find(|(_, _, extensions)| extensions.contains(&extension.as_str()))
        .map(|(_, media_type, _)| *media_type)
}

/// A media type as a flag takes it: a short word (`pdf`, `jpg`, `docx`)
/// or the type itself (`application/pdf`, any case), which is passed on
/// for the server to judge.
pub fn parse(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_lowercase();
    if t.contains('/') {
        return Ok(t);
    }
    KNOWN
        .iter()
        .find(|(word, _, extensions)| *word == t || extensions.contains(&t.as_str()))
        .map(|(_, media_type, _)| (*media_type).to_owned())
        .ok_or_else(|| {
            format!(
                "{text:?} is not a media type; give one such as application/pdf, or {}",
                words()
            )
        })
}

/// `pdf, png, jpeg, docx, xlsx, csv, txt`.
pub fn words() -> String {
    KNOWN.iter().map(|(w, _, _)| *w).collect::<Vec<_>>().join(", ")
}

/// The short word of a media type (`pdf`), else the type itself.
pub fn short(media_type: &str) -> &str {
    KNOWN
        .iter()
        .find(|(_, m, _)| *m == media_type)
        .map_or(media_type, |(w, _, _)| w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_words_name_media_types() {
        assert_eq!(guess("proposal.pdf"), Some(PDF));
        assert_eq!(guess("Budget 2026.XLSX"), Some(XLSX));
        assert_eq!(guess("photo.JPG"), Some("image/jpeg"));
        assert_eq!(guess("photo.jpeg"), Some("image/jpeg"));
        assert_eq!(guess("letter.docx"), Some(DOCX));
        assert_eq!(guess("figures.csv"), Some("text/csv"));
        assert_eq!(guess("notes.txt"), Some("text/plain"));
        assert_eq!(guess("archive.tar.gz"), None);
        assert_eq!(guess("README"), None);
        assert_eq!(parse("pdf"), Ok(PDF.to_owned()));
        assert_eq!(parse("JPG"), Ok("image/jpeg".to_owned()));
        assert_eq!(parse("Application/PDF"), Ok(PDF.to_owned()));
        assert_eq!(parse("application/zip"), Ok("application/zip".to_owned()));
        assert!(parse("zip").is_err());
        assert_eq!(short(DOCX), "docx");
        assert_eq!(short("application/zip"), "application/zip");
    }
}
