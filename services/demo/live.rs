//! The demo's live mode: every couple of seconds one step of some
//! application's life — a new submission from a Hong Kong or Macao
//! university, a review started, a decision within the remaining budget, a
//! payment, a closed grant — until stopped. Nothing it does lowers the
//! money committed to Hong Kong and Macao institutions or their number: a
//! grant is paid in full before it is closed, and nothing is withdrawn or
//! rescinded.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use rand::seq::IndexedRandom;

use super::picture::{INSTITUTIONS, PROGRAMMES};
use super::{Demo, Payee, money};
use crate::domain::application::{Application, ApplicationInput, State};
use crate::domain::ids::ProgrammeName;
use crate::domain::institution::Region;
use crate::domain::{Error, Result};

const TITLES: [&str; 8] = [
    "Cross-border cold-chain logistics for fresh produce",
    "Mangrove carbon sinks of the Pearl River Estuary",
    "Cantonese speech recognition for elderly care",
    "Graphene sensors for bridge health monitoring",
    "Dengue early warning from wastewater",
    "Hydrogen ferries between Hong Kong and Macao",
    "Genomics of Chinese white dolphins",
    "Open data standards for Bay Area hospitals",
];

/// Acts every `every` until `stop` completes; returns how many steps it took.
pub async fn live(demo: &Demo, every: Duration, stop: impl Future<Output = ()>) -> Result<u64> {
    let programme = demo.provincial().await?;
    let mut steps = 0;
    let mut ticker = tokio::time::interval(every);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(steps),
            _ = ticker.tick() => {}
        }
        match demo.step(&programme, steps).await {
            Ok(what) => {
                steps += 1;
                tracing::info!(step = steps, "{what}");
            }
            // A refused step (say, no budget left) is part of the story.
            Err(err) => tracing::info!(%err, "demo step refused"),
        }
    }
}

impl Demo {
    async fn provincial(&self) -> Result<ProgrammeName> {
        let page = self.grants.list_programmes(&self.caller, "", 100, "").await?;
        page.items
            .into_iter()
            .find(|p| p.display_name == PROGRAMMES[0].display_name)
            .map(|p| p.name)
            .ok_or_else(|| Error::internal("run the demo without --live first"))
    }

    async fn in_state(&self, programme: &ProgrammeName, state: State) -> Result<Vec<Application>> {
        let filter = format!("state = {}", state.as_str());
        let page = self
            .grants
            .list_applications(&self.caller, &programme.to_string(), &filter, 200, "")
            .await?;
        Ok(page.items)
    }

    /// One step; says what it did.
    async fn step(&self, programme: &ProgrammeName, n: u64) -> Result<String> {
        let (g, c) = (&self.grants, &self.caller);
        let roll = rand::rng().random_range(0..10);
        let pick = |list: Vec<Application>| list.choose(&mut rand::rng()).cloned();
        if roll < 3 {
            let eligible: Vec<_> = INSTITUTIONS.iter().filter(|i| i.region != Region::Guangdong).collect();
            let who = eligible
                .choose(&mut rand::rng())
                .ok_or_else(|| Error::internal("no institutions"))?;
            let applicant = g
                .list_institutions(c, "", 1_000, "")
                .await?
                .items
                .into_iter()
                .find(|i| i.display_name == who.display_name)
                .ok_or_else(|| Error::internal("run the demo without --live first"))?;
            let title = TITLES[(n as usize) % TITLES.len()];
            let input = ApplicationInput {
                applicant: applicant.name.to_string(),
                title: title.to_owned(),
                abstract_text: format!("{title}: a live demo application."),
                investigator_name: "Demo Investigator".to_owned(),
                investigator_email: format!("live{n}@{}.example.org", who.key),
                investigator_orcid: super::orcid(100_000 + n),
                partners: Vec::new(),
                preferred_periods: Vec::new(),
                requested: Some(money("CNY", rand::rng().random_range(20..=300) * 100_000)?),
                duration_months: 24,
                team: Vec::new(),
            };
            let draft = g.create_application(c, programme, input, None).await?;
            // The applicant's research office signs before submission.
            g.endorse_application(c, &draft.name, &draft.etag(), &draft.applicant.to_string(), None)
                .await?;
            g.submit_application(c, &draft.name, "", None).await?;
            return Ok(format!("{} submitted {title:?}", who.display_name));
        }
        if roll < 5
            && let Some(a) = pick(self.in_state(programme, State::Submitted).await?)
        {
            g.start_review(c, &a.name, None).await?;
            return Ok(format!("review started: {}", a.title));
        }
        if roll < 8
            && let Some(a) = pick(self.in_state(programme, State::UnderReview).await?)
        {
            let requested = a.requested.clone().ok_or_else(|| Error::internal("no amount"))?;
            let award = money("CNY", requested.minor() / 100 * 9 / 10)?;
            if rand::rng().random_bool(0.7)
                && g.approve_application(
                    c,
                    &a.name,
                    crate::domain::service::Approval {
                        awarded: Some(award),
                        ..Default::default()
                    },
                    None,
                )
                .await
                .is_ok()
            {
                return Ok(format!("approved: {}", a.title));
            }
            g.reject_application(c, &a.name, "Below the funding line this round", None)
                .await?;
            return Ok(format!("rejected: {}", a.title));
        }
        if let Some(a) = pick(self.in_state(programme, State::Approved).await?) {
            let awarded = a.awarded.clone().ok_or_else(|| Error::internal("no award"))?;
            let region = g.get_institution(c, &a.applicant).await?.region;
            let first = awarded.minor() / 100 / 2;
            self.pay(&a.name, 9_000 + n as usize, "CNY", first, Payee::of("CNY", region))
                .await?;
            return Ok(format!("first payment: {}", a.title));
        }
        if let Some(a) = pick(self.in_state(programme, State::Active).await?) {
            // A grant is closed only once paid in full, so closing releases
            // nothing: the money awarded to Hong Kong and Macao never falls
            // below the public figure the demo paints.
            let awarded = a.awarded.clone().ok_or_else(|| Error::internal("no award"))?;
            let remainder = awarded
                .checked_sub(&a.disbursed)
                .ok_or_else(|| Error::internal("paid more than awarded"))?;
            if remainder.minor() > 0 {
                if remainder.minor() % 100 != 0 {
                    return Ok(format!("left to pay by hand: {}", a.title));
                }
                let region = g.get_institution(c, &a.applicant).await?.region;
                let rest = remainder.minor() / 100;
                self.pay(&a.name, 19_000 + n as usize, "CNY", rest, Payee::of("CNY", region))
                    .await?;
                return Ok(format!("final payment: {}", a.title));
            }
            g.close_grant(c, &a.name, "Project completed", None).await?;
            return Ok(format!("closed: {}", a.title));
        }
        Ok("nothing to do this time".to_owned())
    }
}
