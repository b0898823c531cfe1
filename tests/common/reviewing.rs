//! Peer review helpers: review settings on the world's programme,
//! reviewer keys, assignments and reviews.

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use tonic::Status;

use super::*;

/// Scientific merit 0.5, feasibility 0.3, cross-border collaboration 0.2.
pub fn settings(required: i32) -> v1::ReviewSettings {
    v1::ReviewSettings {
        criteria: vec![
            criterion("scientific merit", 0.5),
            criterion("feasibility", 0.3),
            criterion("cross-border collaboration", 0.2),
        ],
        max_score: 5,
        required_reviews: required,
        ..Default::default()
    }
}

pub fn criterion(name: &str, weight: f64) -> v1::ReviewCriterion {
    v1::ReviewCriterion {
        name: name.into(),
        weight,
    }
}

/// Sets the review settings of `programme` as admin.
pub async fn configure(server: &TestServer, programme: &str, s: v1::ReviewSettings) -> Result<v1::Programme, Status> {
    let current = server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest { name: programme.into() })
        .await?
        .into_inner()
        .programme
        .unwrap_or_default();
    Ok(server
        .programmes(&server.admin_key)
        .update_programme(v1::UpdateProgrammeRequest {
            programme: Some(v1::Programme {
                name: programme.into(),
                etag: current.etag,
                review_settings: Some(s),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["review_settings".into()],
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .programme
        .unwrap_or_default())
}

/// A reviewer key of `programme` affiliated with `institution`: its secret
/// and its resource name.
pub async fn reviewer(server: &TestServer, institution: &str, programme: &str) -> (String, String) {
    let issued = server
        .access(&server.admin_key)
        .create_api_key(v1::CreateApiKeyRequest {
            api_key: Some(v1::ApiKey {
                role: Role::Reviewer.into(),
                institution: institution.into(),
                programmes: vec![programme.into()],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("issue reviewer key")
        .into_inner();
    (issued.secret, issued.api_key.expect("key").name)
}

pub async fn assign(server: &TestServer, key: &str, application: &str, reviewer: &str) -> Result<v1::Review, Status> {
    Ok(server
        .reviews(key)
        .assign_reviewer(v1::AssignReviewerRequest {
            parent: application.into(),
            reviewer: reviewer.into(),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .review
        .unwrap_or_default())
}

/// Scores for the three criteria of [`settings`].
pub fn scores(merit: i32, feasibility: i32, collaboration: i32) -> Vec<v1::CriterionScore> {
    vec![
        score("scientific merit", merit),
        score("feasibility", feasibility),
        score("cross-border collaboration", collaboration),
    ]
}

pub fn score(criterion: &str, score: i32) -> v1::CriterionScore {
    v1::CriterionScore {
        criterion: criterion.into(),
        score,
    }
}

/// A complete review of `review` with `scores`.
pub fn review(name: &str, scores: Vec<v1::CriterionScore>) -> v1::Review {
    v1::Review {
        name: name.into(),
        scores,
        recommendation: v1::review::Recommendation::Fund.into(),
        applicant_comment: "A strong cross-border team; clarify the data-sharing plan.".into(),
        officer_comment: "Fund; the budget for travel is generous.".into(),
        ..Default::default()
    }
}

pub async fn submit_review(server: &TestServer, key: &str, r: v1::Review) -> Result<v1::Review, Status> {
    Ok(server
        .reviews(key)
        .submit_review(v1::SubmitReviewRequest {
            review: Some(r),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .review
        .unwrap_or_default())
}

pub async fn list_reviews(server: &TestServer, key: &str, application: &str) -> Result<Vec<v1::Review>, Status> {
    Ok(server
        .reviews(key)
        .list_reviews(v1::ListReviewsRequest {
            parent: application.into(),
            page_size: 1_000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .reviews)
}

pub async fn ranking(server: &TestServer, key: &str, programme: &str) -> Result<v1::ReviewRanking, Status> {
    Ok(server
        .reviews(key)
        .get_review_ranking(v1::GetReviewRankingRequest {
            programme: programme.into(),
        })
        .await?
        .into_inner()
        .ranking
        .unwrap_or_default())
}

pub async fn approve_overriding(
    server: &TestServer,
    key: &str,
    name: &str,
    awarded: i64,
    reason: &str,
) -> Result<v1::Application, Status> {
    let r = server
        .reviews(key)
        .approve_application(v1::ApproveApplicationRequest {
            awarded_resource: None,
            name: name.into(),
            awarded_amount: Some(money("CNY", awarded, 0)),
            reason: reason.into(),
            request_id: String::new(),
            override_incomplete_reviews: true,
            schedule: None,
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub fn kind(e: &v1::ApplicationEvent) -> Option<v1::review_activity::Kind> {
    e.review_activity
        .as_ref()
        .and_then(|a| v1::review_activity::Kind::try_from(a.kind).ok())
}
