//! How each resource looks in every output format: its resource name, its
//! proto3 JSON, its table row and its field list. States, roles and
//! recommendations read as the values filters and flags take
//! (`UNDER_REVIEW`, `OFFICER`), regions as place names, money as
//! `CNY 1,200,000.00`.

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::application::State;
use serde_json::Value;

use crate::json::out;
use crate::money;
use crate::timefmt;

/// A resource grantctl prints.
pub trait Resource {
    /// Plural noun, for "no institutions".
    const PLURAL: &'static str;
    fn name(&self) -> String;
    fn json(&self) -> Value;
    fn header() -> &'static [&'static str];
    fn row(&self) -> Vec<String>;
    fn details(&self) -> Vec<(&'static str, String)>;
}

/// A state as filters and `--state` take it: `UNDER_REVIEW`.
pub fn state_word(v: i32) -> String {
    match State::try_from(v) {
        Ok(State::Unspecified) => "—".to_owned(),
        Ok(s) => s.as_str_name().trim_start_matches("STATE_").to_owned(),
        Err(_) => format!("state {v}"),
    }
}

pub fn region_word(v: i32) -> String {
    match v1::Region::try_from(v) {
        Ok(v1::Region::HongKong) => "Hong Kong",
        Ok(v1::Region::Macao) => "Macao",
        Ok(v1::Region::Guangdong) => "Guangdong",
        Ok(v1::Region::Unspecified) => "",
        Err(_) => return format!("region {v}"),
    }
    .to_owned()
}

/// A role as filters take it: `OFFICER`.
pub fn role_word(v: i32) -> String {
    match Role::try_from(v) {
        Ok(Role::Unspecified) => String::new(),
        Ok(r) => r.as_str_name().trim_start_matches("ROLE_").to_owned(),
        Err(_) => format!("role {v}"),
    }
}

pub fn money(m: Option<&v1::Money>) -> String {
    m.map(money::format).unwrap_or_default()
}

/// `96.5 beam-h`; empty when unset.
pub fn resource(r: Option<&v1::ResourceAmount>) -> String {
    r.map(crate::resource::format).unwrap_or_default()
}

/// The amount a field holds on either kind of programme: the money, else
/// its resource twin (`CNY 750,000.00` or `96.5 beam-h`).
pub fn amount(m: Option<&v1::Money>, r: Option<&v1::ResourceAmount>) -> String {
    match (m, r) {
        (Some(m), _) => money::format(m),
        (None, r) => resource(r),
    }
}

pub fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.map(timefmt::short).unwrap_or_default()
}

impl Resource for v1::Institution {
    const PLURAL: &'static str = "institutions";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::institution(self)
    }

    fn header() -> &'static [&'static str] {
        &["NAME", "DISPLAY NAME", "LOCAL NAME", "REGION", "ROR"]
    }

    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.display_name.clone(),
            self.local_name.clone(),
            region_word(self.region),
            self.ror_id.clone(),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Display name", format!("{}  {}", self.display_name, self.local_name)),
            ("Region", region_word(self.region)),
            ("ROR", self.ror_id.clone()),
            ("Registered", time(self.create_time.as_ref())),
            ("Updated", time(self.update_time.as_ref())),
        ]
    }
}

impl Resource for v1::Programme {
    const PLURAL: &'static str = "programmes";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::programme(self)
    }

    fn header() -> &'static [&'static str] {
        &["NAME", "DISPLAY NAME", "LOCAL NAME", "BUDGET", "COMMITTED", "CLOSES"]
    }

    /// A facility programme shows its capacity and what is allocated in
    /// the BUDGET and COMMITTED columns, in its unit.
    fn row(&self) -> Vec<String> {
        let f = self.facility.as_ref();
        vec![
            self.name.clone(),
            crate::table::truncate(&self.display_name, 40),
            crate::table::truncate(&self.local_name, 20),
            amount(self.budget.as_ref(), f.and_then(|f| f.capacity.as_ref())),
            amount(self.committed.as_ref(), f.and_then(|f| f.allocated.as_ref())),
            time(self.close_time.as_ref()),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        let regions: Vec<String> = self.eligible_regions.iter().map(|r| region_word(*r)).collect();
        let mut fields = vec![
            ("Name", self.name.clone()),
            ("Display name", format!("{}  {}", self.display_name, self.local_name)),
            ("Funder", self.funder.clone()),
        ];
        match &self.facility {
            Some(f) => fields.extend(crate::views_facility::programme_details(f)),
            None => fields.extend([
                ("Budget", money(self.budget.as_ref())),
                ("Committed", money(self.committed.as_ref())),
                ("Max award", money(self.max_award.as_ref())),
            ]),
        }
        fields.extend([
            ("Eligible regions", regions.join(", ")),
            (
                "Guangdong partner",
                if self.requires_guangdong_partner {
                    "required"
                } else {
                    "not required"
                }
                .into(),
            ),
            ("Opens", time(self.open_time.as_ref())),
            ("Closes", time(self.close_time.as_ref())),
        ]);
        fields.extend(crate::views_review::settings_details(self));
        fields.extend(crate::views_doc::requirements_details(self));
        fields.extend(crate::views_team::programme_details(self));
        fields.push(("Etag", self.etag.clone()));
        fields
    }
}

impl Resource for v1::ApiKey {
    const PLURAL: &'static str = "API keys";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        out::api_key(self)
    }

    fn header() -> &'static [&'static str] {
        &[
            "NAME",
            "ROLE",
            "INSTITUTION",
            "PROGRAMMES",
            "LABEL",
            "PERSON",
            "REVOKED",
        ]
    }

    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            role_word(self.role),
            self.institution.clone(),
            programmes(self),
            self.display_name.clone(),
            self.person.as_ref().map(|p| p.display_name.clone()).unwrap_or_default(),
            time(self.revoke_time.as_ref()),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Role", role_word(self.role)),
            ("Institution", self.institution.clone()),
            ("Programmes", programmes(self)),
            ("Label", self.display_name.clone()),
            ("Person", crate::views_team::person_word(self.person.as_ref())),
            ("Issued", time(self.create_time.as_ref())),
            ("Revoked", time(self.revoke_time.as_ref())),
        ]
    }
}

fn programmes(k: &v1::ApiKey) -> String {
    if k.all_programmes {
        "all".into()
    } else {
        k.programmes.join(", ")
    }
}
