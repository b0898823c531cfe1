//! Structured outputs of a project, as a report states them: publications
//! (DOI checked), datasets (DOI or https URL), patents, people trained.

use crate::domain::error::{Result, Violations};
use crate::domain::text;

pub const MAX_PUBLICATIONS: usize = 500;
pub const MAX_DATASETS: usize = 500;
pub const MAX_PATENTS: usize = 100;
const MAX_TITLE: usize = 500;
const MAX_DOI: usize = 200;
const MAX_URL: usize = 500;
const MAX_PATENT_NUMBER: usize = 50;
const MAX_TRAINED: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub doi: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Empty when the dataset is given by URL.
    pub doi: String,
    /// Empty when the dataset is given by DOI.
    pub url: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patent {
    pub number: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrainingLevel {
    Undergraduate,
    Masters,
    Doctoral,
    Postdoctoral,
}

impl TrainingLevel {
    pub const ALL: [TrainingLevel; 4] = [
        TrainingLevel::Undergraduate,
        TrainingLevel::Masters,
        TrainingLevel::Doctoral,
        TrainingLevel::Postdoctoral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrainingLevel::Undergraduate => "UNDERGRADUATE",
            TrainingLevel::Masters => "MASTERS",
            TrainingLevel::Doctoral => "DOCTORAL",
            TrainingLevel::Postdoctoral => "POSTDOCTORAL",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == value)
    }
}

/// What a project produced. As a client sends it (`None` for a level the
/// client did not name) it is checked by [`Outputs::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    pub publications: Vec<Publication>,
    pub datasets: Vec<Dataset>,
    pub patents: Vec<Patent>,
    pub trained: Vec<(Option<TrainingLevel>, i32)>,
}

/// A DOI without its resolver prefix: `10.`, a registrant code of digits
/// and dots, `/`, a suffix of printable characters without spaces.
pub fn parse_doi(value: &str, field: &str, v: &mut Violations) -> Option<String> {
    let trimmed = value.trim();
    let bare = ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"]
        .iter()
        .find_map(|p| {
            trimmed
                .get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| &trimmed[p.len()..])
        })
        .unwrap_or(trimmed);
    let well_formed = bare.len() <= MAX_DOI
        && bare
            .strip_prefix("10.")
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(registrant, suffix)| {
                !registrant.is_empty()
                    && registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && registrant.bytes().next().is_some_and(|b| b.is_ascii_digit())
                    && !suffix.is_empty()
                    && suffix.chars().all(|c| !c.is_whitespace() && !c.is_control())
            });
    if well_formed {
        Some(bare.to_owned())
    } else {
        v.add(
            field,
            format!(
                "{} is not a DOI (10.<registrant>/<suffix>, such as 10.1000/xyz123)",
                text::excerpt(value)
            ),
        );
        None
    }
}

fn title(value: &str, field: &str, v: &mut Violations) -> String {
    v.check(text::line(value, field, MAX_TITLE)).unwrap_or_default()
}

impl Outputs {
    /// Checks every output, naming `outputs.<list>[i].<field>`.
    pub fn parse(raw: Outputs) -> Result<Outputs> {
        let mut v = Violations::new();
        let too_many = |v: &mut Violations, list: &str, n: usize, max: usize| {
            if n > max {
                v.add(format!("outputs.{list}"), format!("at most {max} entries, got {n}"));
            }
        };
        too_many(&mut v, "publications", raw.publications.len(), MAX_PUBLICATIONS);
        too_many(&mut v, "datasets", raw.datasets.len(), MAX_DATASETS);
        too_many(&mut v, "patents", raw.patents.len(), MAX_PATENTS);
        let mut out = Outputs::default();
        for (i, p) in raw.publications.iter().enumerate().take(MAX_PUBLICATIONS) {
            let f = |n: &str| format!("outputs.publications[{i}].{n}");
            let doi = parse_doi(&p.doi, &f("doi"), &mut v).unwrap_or_default();
            let title = title(&p.title, &f("title"), &mut v);
            out.publications.push(Publication { doi, title });
        }
        for (i, d) in raw.datasets.iter().enumerate().take(MAX_DATASETS) {
            let f = |n: &str| format!("outputs.datasets[{i}].{n}");
            let (doi, url) = match (d.doi.trim().is_empty(), d.url.trim().is_empty()) {
                (false, true) => (parse_doi(&d.doi, &f("doi"), &mut v).unwrap_or_default(), String::new()),
                (true, false) => {
                    let url = d.url.trim();
                    let ok = url.len() <= MAX_URL
                        && url.strip_prefix("https://").is_some_and(|rest| {
                            rest.len() > 3 && rest.contains('.') && rest.chars().all(|c| c.is_ascii_graphic())
                        });
                    if !ok {
                        v.add(f("url"), format!("{} is not an https:// URL", text::excerpt(&d.url)));
                    }
                    (String::new(), url.to_owned())
                }
                _ => {
                    v.add(f("doi"), "give a dataset's DOI or its https URL, exactly one");
                    (String::new(), String::new())
                }
            };
            let title = title(&d.title, &f("title"), &mut v);
            out.datasets.push(Dataset { doi, url, title });
        }
        for (i, p) in raw.patents.iter().enumerate().take(MAX_PATENTS) {
            let f = |n: &str| format!("outputs.patents[{i}].{n}");
            let number = v
                .check(text::line(&p.number, &f("number"), MAX_PATENT_NUMBER))
                .unwrap_or_default();
            if number.chars().any(char::is_whitespace) {
                v.add(f("number"), "must have no spaces, such as CN202410123456.7");
            }
            let title = title(&p.title, &f("title"), &mut v);
            out.patents.push(Patent { number, title });
        }
        for (i, (level, count)) in raw.trained.iter().enumerate() {
            let f = |n: &str| format!("outputs.people_trained[{i}].{n}");
            match level {
                None => v.add(f("level"), "is required"),
                Some(l) if raw.trained[..i].iter().any(|(o, _)| o == &Some(*l)) => {
                    v.add(f("level"), format!("{} is given twice", l.as_str()))
                }
                Some(_) => {}
            }
            if !(1..=MAX_TRAINED as i32).contains(count) {
                v.add(f("count"), format!("must be 1 to {MAX_TRAINED}"));
            }
            out.trained.push((*level, *count));
        }
        v.finish()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doi(value: &str) -> Option<String> {
        let mut v = Violations::new();
        parse_doi(value, "doi", &mut v)
    }

    #[test]
    fn dois_are_checked_and_lose_their_resolver() {
        assert_eq!(doi("10.1000/xyz123").as_deref(), Some("10.1000/xyz123"));
        assert_eq!(
            doi("https://doi.org/10.1038/s41586-020-2649-2").as_deref(),
            Some("10.1038/s41586-020-2649-2")
        );
        assert_eq!(doi("doi:10.5061/dryad.8515").as_deref(), Some("10.5061/dryad.8515"));
        for bad in [
            "",
            "10.1000",
            "11.1000/x",
            "10./x",
            "10.1000/",
            "10.10a0/x",
            "10.1000/a b",
            "xyz",
        ] {
            assert_eq!(doi(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn outputs_name_each_bad_field() {
        let raw = Outputs {
            publications: vec![Publication {
                doi: "nope".into(),
                title: "A".into(),
            }],
            datasets: vec![Dataset {
                doi: "10.1/x".into(),
                url: "https://x.org".into(),
                title: "B".into(),
            }],
            patents: vec![],
            trained: vec![(Some(TrainingLevel::Doctoral), 2), (Some(TrainingLevel::Doctoral), 0)],
        };
        let Err(crate::domain::Error::InvalidArgument { violations, .. }) = Outputs::parse(raw) else {
            panic!("bad outputs accepted");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "outputs.publications[0].doi",
                "outputs.datasets[0].doi",
                "outputs.people_trained[1].level",
                "outputs.people_trained[1].count"
            ]
        );
    }
}
