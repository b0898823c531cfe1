//! Pages of applications: walked page by page, at any page size (small
//! pages and pages of more than a hundred rows are read differently on
//! SQLite), every application the caller may see comes once, in order,
//! exactly as GetApplication shows it, and each filter keeps exactly its
//! own.

mod common;

use std::collections::BTreeMap;

use common::world::*;
use common::*;
use gba_grants::proto::v1;

on_every_backend!(pages_list_every_application_once_in_order_as_it_reads);

/// Every application `key` lists under `parent` with `filter`, walked in
/// pages of `size`; also how many pages it took.
async fn walk(server: &TestServer, key: &str, parent: &str, filter: &str, size: i32) -> (Vec<v1::Application>, usize) {
    let (mut all, mut pages, mut token) = (Vec::new(), 0, String::new());
    loop {
        let page = server
            .apps(key)
            .list_applications(v1::ListApplicationsRequest {
                parent: parent.into(),
                page_size: size,
                page_token: token,
                filter: filter.into(),
            })
            .await
            .expect("list")
            .into_inner();
        pages += 1;
        let most = if size == 0 { 50 } else { size.min(1_000) };
        assert!(
            page.applications.len() <= most as usize,
            "a page of {size} held {}",
            page.applications.len()
        );
        all.extend(page.applications);
        if page.next_page_token.is_empty() {
            return (all, pages);
        }
        token = page.next_page_token;
    }
}

async fn pages_list_every_application_once_in_order_as_it_reads(backend: Backend) {
    let server = TestServer::start(backend).await;
    let w = server.world().await;
    // 130 by HKU (every third submitted), 12 by UM.
    let mut expected: BTreeMap<String, v1::Application> = BTreeMap::new();
    for i in 0..130 {
        let draft = w.draft(&server, 100_000 + i).await;
        let now = match i % 3 {
            0 => submit(&server, &w.hku_key, &draft.name).await.expect("submit"),
            _ => draft,
        };
        expected.insert(now.name.clone(), now);
    }
    for i in 0..12 {
        let created = server
            .apps(&w.um_key)
            .create_application(v1::CreateApplicationRequest {
                parent: w.programme.name.clone(),
                application: Some(application(&w.um, &[&w.sysu], 200_000 + i)),
                request_id: String::new(),
            })
            .await
            .expect("create by UM")
            .into_inner()
            .application
            .expect("application");
        expected.insert(created.name.clone(), created);
    }
    let names = |apps: &[v1::Application]| apps.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    let everything: Vec<String> = expected.keys().cloned().collect();

    for size in [0, 7, 50, 101, 120, 1_000] {
        let (listed, pages) = walk(&server, &w.officer_key, &w.programme.name, "", size).await;
        assert_eq!(
            names(&listed),
            everything,
            "page size {size}: every application once, by name"
        );
        let per_page = match size {
            0 => 50,
            n => n as usize,
        };
        assert_eq!(
            pages,
            everything.len().div_ceil(per_page).max(1),
            "page size {size}: pages"
        );
        for app in &listed {
            assert_eq!(
                Some(app),
                expected.get(&app.name),
                "page size {size}: {} as it reads",
                app.name
            );
        }
    }

    let submitted: Vec<String> = expected
        .values()
        .filter(|a| a.state == state(v1::application::State::Submitted))
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(submitted.len(), 44);
    let um: Vec<String> = expected
        .values()
        .filter(|a| a.applicant_institution == w.um)
        .map(|a| a.name.clone())
        .collect();
    for size in [5, 120] {
        let (listed, _) = walk(&server, &w.officer_key, &w.programme.name, "state = SUBMITTED", size).await;
        assert_eq!(names(&listed), submitted, "state filter, pages of {size}");
        let filter = format!("applicant_institution = \"{}\"", w.um);
        let (listed, _) = walk(&server, &w.officer_key, &w.programme.name, &filter, size).await;
        assert_eq!(names(&listed), um, "institution filter, pages of {size}");
        let both = format!("state = SUBMITTED AND applicant_institution = \"{}\"", w.hku);
        let (listed, _) = walk(&server, &w.officer_key, &w.programme.name, &both, size).await;
        assert_eq!(names(&listed), submitted, "both filters, pages of {size}");
    }

    // An applicant's pages hold its own alone, whatever the size; the
    // other programme holds none of these.
    let hku: Vec<String> = expected
        .values()
        .filter(|a| a.applicant_institution == w.hku)
        .map(|a| a.name.clone())
        .collect();
    for size in [9, 200] {
        let (listed, _) = walk(&server, &w.hku_key, "programmes/-", "", size).await;
        assert_eq!(names(&listed), hku, "HKU's own, pages of {size}");
    }
    let (listed, _) = walk(&server, &w.other_officer_key, &w.other_programme.name, "", 120).await;
    assert!(listed.is_empty(), "the other programme lists none of them");
}
