//! Facts that never change once true, remembered so that a create reads
//! nothing: a programme's currency (immutable; programmes are never
//! deleted) and that an institution exists (never deleted). What is not
//! known yet (a programme or institution created since, on any replica)
//! is read from the database; nothing false is ever remembered.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::domain::ids::{InstitutionName, ProgrammeName};
use crate::domain::money::Currency;

/// Entries kept of each kind; beyond, the set starts over (a bound on
/// memory, not an eviction policy: re-learning costs one read each).
const MAX_ENTRIES: usize = 65_536;

#[derive(Debug, Default)]
pub(crate) struct Facts(Mutex<Known>);

#[derive(Debug, Default)]
struct Known {
    currencies: HashMap<String, Currency>,
    institutions: HashSet<String>,
}

impl Facts {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The programme's currency and `true`, if both facts are known.
    pub(crate) fn creation(
        &self,
        programme: &ProgrammeName,
        institution: &InstitutionName,
    ) -> Option<(Currency, bool)> {
        let known = self.known();
        let currency = known.currencies.get(programme.id())?.clone();
        known
            .institutions
            .contains(institution.id())
            .then_some((currency, true))
    }

    /// Remembers a programme's currency and, if given, an existing
    /// institution.
    pub(crate) fn learn(&self, programme: &ProgrammeName, currency: &Currency, institution: Option<&InstitutionName>) {
        let mut known = self.known();
        if known.currencies.len() >= MAX_ENTRIES {
            known.currencies.clear();
        }
        known.currencies.insert(programme.id().to_owned(), currency.clone());
        if let Some(i) = institution {
            if known.institutions.len() >= MAX_ENTRIES {
                known.institutions.clear();
            }
            known.institutions.insert(i.id().to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_learned_is_known() {
        let facts = Facts::default();
        let (p, i) = (ProgrammeName::from_id("p"), InstitutionName::from_id("i"));
        let cny = Currency::parse("CNY", "c").unwrap();
        assert_eq!(facts.creation(&p, &i), None);
        facts.learn(&p, &cny, None);
        assert_eq!(facts.creation(&p, &i), None, "the institution is not known yet");
        facts.learn(&p, &cny, Some(&i));
        assert_eq!(facts.creation(&p, &i), Some((cny, true)));
        assert_eq!(facts.creation(&ProgrammeName::from_id("q"), &i), None);
    }
}
