//! API keys, roles and scopes: who the caller is and what it may touch.
//! Deny by default: every check names what it allows.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::error::{Error, Reason, Result, Violations};
use super::filter;
use super::ids::{ApiKeyName, InstitutionName, ProgrammeName};
use super::text;
use super::time::Timestamp;

/// Prefix of every key secret, so leaked keys are easy to scan for.
pub const SECRET_PREFIX: &str = "gbk_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Officer,
    Applicant,
    Viewer,
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Officer,
        Role::Applicant,
        Role::Viewer,
        Role::Reviewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Officer => "OFFICER",
            Role::Applicant => "APPLICANT",
            Role::Viewer => "VIEWER",
            Role::Reviewer => "REVIEWER",
        }
    }

    /// Parses `ADMIN`, `ROLE_ADMIN` or `admin`, naming `field` on error.
    pub fn parse(value: &str, field: &str) -> Result<Self> {
        let upper = text::enum_word(value);
        let bare = upper.strip_prefix("ROLE_").unwrap_or(&upper);
        Role::ALL.into_iter().find(|r| r.as_str() == bare).ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "{} is not a role (ADMIN, OFFICER, APPLICANT, VIEWER, REVIEWER)",
                    text::excerpt(value)
                ),
            )
        })
    }
}

/// News of a revoked key, for ending its open streams and dropping it
/// from caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// This key was revoked.
    Key(ApiKeyName),
    /// Revocations may have been missed (a lost notification connection):
    /// check every key in use again.
    Unknown,
}

/// An issued API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub name: ApiKeyName,
    pub role: Role,
    pub institution: Option<InstitutionName>,
    pub programmes: Vec<ProgrammeName>,
    pub all_programmes: bool,
    pub display_name: String,
    pub create_time: Timestamp,
    pub revoke_time: Option<Timestamp>,
    pub person: Option<super::team::Person>,
}

/// A key's fields as a client or the command line sends them.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyInput {
    pub role: Option<Role>,
    pub institution: String,
    pub programmes: Vec<String>,
    pub all_programmes: bool,
    pub display_name: String,
    /// The holder's name and ORCID iD (both optional).
    pub person_name: String,
    pub person_orcid: String,
}

/// A validated key to issue. Whether the named institution and programmes
/// exist is checked when it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub role: Role,
    pub institution: Option<InstitutionName>,
    pub programmes: Vec<ProgrammeName>,
    pub all_programmes: bool,
    pub display_name: String,
    pub person: Option<super::team::Person>,
}

impl NewApiKey {
    pub fn parse(input: ApiKeyInput, prefix: &str) -> Result<Self> {
        let ApiKeyInput {
            role,
            institution,
            programmes,
            all_programmes,
            display_name,
            person_name,
            person_orcid,
        } = input;
        let f = |name: &str| format!("{prefix}.{name}");
        let mut v = Violations::new();
        let person = v.check(super::team::Person::parse(&person_name, &person_orcid, &f("person")));
        let display_name = v.check(text::optional_line(&display_name, &f("display_name"), 200));
        let institution = if institution.is_empty() {
            None
        } else {
            v.check(InstitutionName::parse(&institution, &f("institution")))
        };
        let mut parsed = Vec::new();
        for (i, p) in programmes.iter().enumerate() {
            parsed.extend(v.check(ProgrammeName::parse(p, &format!("{}[{i}]", f("programmes")))));
        }
        parsed.sort();
        parsed.dedup();
        match role {
            None => v.add(f("role"), "is required (ADMIN, OFFICER, APPLICANT, VIEWER or REVIEWER)"),
            Some(Role::Admin) => {
                if institution.is_some() || !programmes.is_empty() || all_programmes {
                    v.add(f("role"), "an admin key takes no institution or programmes");
                }
            }
            Some(Role::Officer) => {
                if programmes.is_empty() {
                    v.add(f("programmes"), "an officer key needs at least one programme");
                }
                if all_programmes {
                    v.add(f("all_programmes"), "officer keys are scoped to named programmes");
                }
            }
            Some(Role::Applicant) => {
                if institution.is_none() && v.is_empty() {
                    v.add(f("institution"), "an applicant key needs its institution");
                }
                if !programmes.is_empty() || all_programmes {
                    v.add(f("programmes"), "an applicant key is scoped by its institution only");
                }
            }
            Some(Role::Viewer) => {
                if programmes.is_empty() != all_programmes {
                    v.add(
                        f("programmes"),
                        "a viewer key needs either programmes or all_programmes, not both",
                    );
                }
                if institution.is_some() {
                    v.add(f("institution"), "a viewer key takes no institution");
                }
            }
            Some(Role::Reviewer) => {
                if programmes.is_empty() {
                    v.add(f("programmes"), "a reviewer key needs at least one programme");
                }
                if all_programmes {
                    v.add(f("all_programmes"), "reviewer keys are scoped to named programmes");
                }
                if institution.is_none() && v.is_empty() {
                    v.add(
                        f("institution"),
                        "a reviewer key needs its affiliation (for the conflict-of-interest rule)",
                    );
                }
            }
        }
        v.finish()?;
        let (Some(role), Some(display_name), Some(person)) = (role, display_name, person) else {
            return Err(Error::internal("key validation lost a violation"));
        };
        Ok(Self {
            role,
            institution,
            programmes: parsed,
            all_programmes,
            display_name,
            person,
        })
    }
}

/// A new secret, `gbk_` + 256 random bits, and the hash that is stored.
pub fn generate_secret() -> (String, String) {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// The stored form of a secret: SHA-256, hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Which programmes a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgrammeScope {
    All,
    Only(Vec<ProgrammeName>),
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key: ApiKeyName,
    pub role: Role,
    /// Applicant: its institution; officer and reviewer: its affiliation.
    pub institution: Option<InstitutionName>,
    pub programmes: ProgrammeScope,
    /// The person who holds the key, if it names one.
    pub person: Option<super::team::Person>,
}

impl Caller {
    /// The caller a valid key stands for.
    pub fn from_key(key: &ApiKey) -> Self {
        let programmes = match key.role {
            Role::Admin | Role::Applicant => ProgrammeScope::All,
            Role::Viewer if key.all_programmes => ProgrammeScope::All,
            Role::Officer | Role::Viewer | Role::Reviewer => ProgrammeScope::Only(key.programmes.clone()),
        };
        Self {
            key: key.name.clone(),
            role: key.role,
            institution: key.institution.clone(),
            programmes,
            person: key.person.clone(),
        }
    }

    /// Fails unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], action: &str) -> Result<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::denied(
                Reason::RoleNotAllowed,
                format!("the {} role may not {action}", self.role.as_str().to_ascii_lowercase()),
            ))
        }
    }

    pub fn may_see_programme(&self, programme: &ProgrammeName) -> bool {
        match &self.programmes {
            ProgrammeScope::All => true,
            ProgrammeScope::Only(list) => list.contains(programme),
        }
    }

    /// The same answer whether or not the programme exists.
    pub fn require_programme(&self, programme: &ProgrammeName) -> Result<()> {
        if self.may_see_programme(programme) {
            Ok(())
        } else {
            Err(Error::denied(
                Reason::OutOfScope,
                format!("{programme} is outside this key's scope"),
            ))
        }
    }

    /// `None`: every programme; `Some(list)`: only those.
    pub fn programme_scope(&self) -> Option<&[ProgrammeName]> {
        match &self.programmes {
            ProgrammeScope::All => None,
            ProgrammeScope::Only(list) => Some(list),
        }
    }
}

/// Which keys ListApiKeys returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeyFilter {
    pub role: Option<Role>,
    pub revoked: Option<bool>,
}

impl ApiKeyFilter {
    pub fn parse(filter: &str) -> Result<Self> {
        let mut out = Self::default();
        for term in filter::parse(filter, &["role", "revoked"])? {
            match term.field.as_str() {
                "role" => out.role = Some(Role::parse(&term.value, "filter")?),
                _ => out.revoked = Some(filter::boolean(&term)?),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(role: Role) -> ApiKeyInput {
        ApiKeyInput {
            role: Some(role),
            ..Default::default()
        }
    }

    #[test]
    fn secrets_are_prefixed_random_and_stored_hashed() {
        let (a, ha) = generate_secret();
        let (b, _) = generate_secret();
        assert!(a.starts_with("gbk_") && a.len() >= 4 + 43);
        assert_ne!(a, b);
        assert_eq!(ha, hash_secret(&a));
        assert_ne!(ha, a);
    }

    #[test]
    fn each_role_gets_the_scope_it_needs() {
        assert!(NewApiKey::parse(input(Role::Admin), "k").is_ok());
        assert!(NewApiKey::parse(input(Role::Applicant), "k").is_err());
        assert!(NewApiKey::parse(input(Role::Officer), "k").is_err());
        assert!(NewApiKey::parse(input(Role::Viewer), "k").is_err());
        let viewer = ApiKeyInput {
            all_programmes: true,
            ..input(Role::Viewer)
        };
        assert!(NewApiKey::parse(viewer, "k").is_ok());
        let applicant = ApiKeyInput {
            institution: "institutions/hku".into(),
            ..input(Role::Applicant)
        };
        assert!(NewApiKey::parse(applicant, "k").is_ok());
        let officer = ApiKeyInput {
            programmes: vec!["programmes/p1".into()],
            ..input(Role::Officer)
        };
        assert!(NewApiKey::parse(officer, "k").is_ok());
        assert!(NewApiKey::parse(ApiKeyInput::default(), "k").is_err());
    }
}
