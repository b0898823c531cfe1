//! Text that looks empty, and text that would redraw a terminal, on every
//! backend. A required value made only of invisible characters (U+200B,
//! U+FEFF, …) is blank. Single-line fields (names, titles, payment
//! references, key names) refuse line breaks and bidirectional controls
//! with INVALID_ARGUMENT naming the field, and change nothing; multi-line
//! fields (abstracts, reasons) keep their line breaks.

mod common;

use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use prost_types::FieldMask;
use tonic::Code;

on_every_backend!(invisible_and_redrawing_text_is_refused_by_field);

#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<tonic::Response<T>, tonic::Status>, field: &str) {
    let status = expect_code(result, Code::InvalidArgument);
    assert_eq!(reason(&status), "INVALID_FIELD", "{status:?}");
    assert_eq!(bad_fields(&status), [field], "{status:?}");
}

async fn invisible_and_redrawing_text_is_refused_by_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;

    // A title of zero-width spaces is blank: submitting is refused, naming
    // the title, and the draft stays a draft.
    let draft = w.draft(&server, 100_000).await;
    let edited = server
        .apps(&w.hku_key)
        .update_application(v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: draft.name.clone(),
                etag: draft.etag.clone(),
                title: "\u{200b}\u{200b}\u{feff}".into(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["title".into()],
            }),
            request_id: String::new(),
        })
        .await
        .expect("a draft may have a blank title")
        .into_inner()
        .application
        .expect("application");
    let status = expect_code(
        server
            .apps(&w.hku_key)
            .submit_application(v1::SubmitApplicationRequest {
                name: draft.name.clone(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&status), ["application.title"], "{status:?}");
    let now = get(&server, &w.hku_key, &draft.name).await.expect("read");
    assert_eq!((now.state, now.etag), (State::Draft as i32, edited.etag));

    // Line breaks and bidirectional controls in single-line fields.
    let institutions_before = server
        .institutions(&server.admin_key)
        .list_institutions(v1::ListInstitutionsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .institutions
        .len();
    for (display, local, field) in [
        (
            "Evil U\n  institutions/zzz  Fake University",
            "假大學",
            "institution.display_name",
        ),
        ("Evil U", "假\u{2028}大學", "institution.local_name"),
        ("Evil \u{202e}U", "假大學", "institution.display_name"),
        ("\u{200b}", "假大學", "institution.display_name"),
    ] {
        refused(
            server
                .institutions(&server.admin_key)
                .create_institution(v1::CreateInstitutionRequest {
                    institution: Some(institution(display, local, v1::Region::HongKong, "")),
                    request_id: String::new(),
                })
                .await,
            field,
        );
    }
    let institutions_after = server
        .institutions(&server.admin_key)
        .list_institutions(v1::ListInstitutionsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .institutions
        .len();
    assert_eq!(institutions_after, institutions_before, "nothing was created");

    refused(
        server
            .programmes(&server.admin_key)
            .create_programme(v1::CreateProgrammeRequest {
                programme: Some(v1::Programme {
                    funder: "Guangdong \u{2066}Fund\u{2069}".into(),
                    ..programme(1_000_000, 100_000)
                }),
                request_id: String::new(),
            })
            .await,
        "programme.funder",
    );
    refused(
        server
            .apps(&w.hku_key)
            .create_application(v1::CreateApplicationRequest {
                parent: w.programme.name.clone(),
                application: Some(v1::Application {
                    title: "Title\nState: APPROVED".into(),
                    ..application(&w.hku, &[&w.sysu], 100_000)
                }),
                request_id: String::new(),
            })
            .await,
        "application.title",
    );
    refused(
        server
            .access(&server.admin_key)
            .create_api_key(v1::CreateApiKeyRequest {
                api_key: Some(v1::ApiKey {
                    role: v1::api_key::Role::Viewer.into(),
                    all_programmes: true,
                    display_name: "dashboard\r\nadmin".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await,
        "api_key.display_name",
    );

    // A payment reference that reverses what follows it is refused; the
    // grant is unpaid.
    let approved = w.approved(&server, 200_000, 100_000).await;
    let mut pay = payment(10_000, 11_250, 0, "1.125");
    pay.reference = "Invoice \u{202e}exe.ssalc".into();
    refused(
        server
            .awards(&w.officer_key)
            .record_disbursement(v1::RecordDisbursementRequest {
                parent: approved.name.clone(),
                disbursement: Some(pay),
                request_id: String::new(),
            })
            .await,
        "disbursement.reference",
    );
    let now = get(&server, &w.officer_key, &approved.name).await.expect("read");
    assert_eq!(now.state, State::Approved as i32);
    assert_eq!(now.disbursed_amount, Some(money("CNY", 0, 0)));

    // Multi-line fields keep their line breaks.
    let reason = "Outside the scope.\nPlease apply to the 2027 call.";
    let rejected = reject(
        &server,
        &w.officer_key,
        &w.submitted(&server, 100_000).await.name,
        reason,
    )
    .await
    .expect("a reason may have several lines");
    assert_eq!(rejected.decision.expect("decision").reason, reason);
}
