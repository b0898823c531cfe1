//! grantctl, the command-line client, run as a subprocess against real
//! servers on every backend: the whole GBA story through `-o json`, golden
//! tables, `watch events` across a restart while 500 events are written,
//! peer review from settings to ranking and overridden approval, every
//! error class's exit code, saved contexts and their precedence, `whoami`,
//! the `--state` / `--institution` shortcuts and values in any case,
//! missing parents, `institutions update`, the `review` alias, relative
//! times, and documents (uploads and downloads byte for byte, resumed,
//! across a dropped connection; requirements and submission), and
//! cross-border teams and sign-off (team commands, endorsements, partners'
//! lists and watches, the JSON of teams and people), exports (CSV
//! read back by Python's csv module, JSON Lines, --excel), and the half
//! after the award (schedules as files and flags, tranches held until a
//! report is accepted, reports returned and accepted, closures, the
//! reports export), and webhooks (secrets shown once and verified
//! against the signatures, deliveries, pause and resume, rotation,
//! redelivery, plain http refused), and facility-access programmes (the
//! beam-time story: capacity, requests and allocations in beam-h, usage
//! and its refusals, the summary and exports in the unit). grantctl's
//! self-contained modules (errors and exit codes, money, resource
//! amounts, names, times,
//! tables, backoff, sizes, media types, the progress line, exported
//! records: CSV quoting, the BOM, files renamed into place) are
//! compiled in here too, so their unit tests run with `cargo test --test
//! grantctl`.

mod common;

#[allow(dead_code)]
#[path = "../services/grantctl/backoff.rs"]
mod backoff;
#[allow(dead_code)]
#[path = "../services/grantctl/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../services/grantctl/exchange.rs"]
mod exchange;
#[allow(dead_code)]
#[path = "../services/grantctl/media.rs"]
mod media;
#[allow(dead_code)]
#[path = "../services/grantctl/money.rs"]
mod money;
#[allow(dead_code)]
#[path = "../services/grantctl/names.rs"]
mod names;
#[allow(dead_code)]
#[path = "../services/grantctl/progress.rs"]
mod progress;
#[allow(dead_code)]
#[path = "../services/grantctl/records.rs"]
mod records;
#[allow(dead_code)]
#[path = "../services/grantctl/resource.rs"]
mod resource;
#[allow(dead_code)]
#[path = "../services/grantctl/size.rs"]
mod size;
#[allow(dead_code)]
#[path = "../services/grantctl/table.rs"]
mod table;
#[allow(dead_code)]
#[path = "../services/grantctl/timefmt.rs"]
mod timefmt;
#[allow(dead_code)]
#[path = "../services/grantctl/transient.rs"]
mod transient;

#[path = "grantctl/contexts.rs"]
mod contexts;
#[path = "grantctl/documents.rs"]
mod documents;
#[path = "grantctl/errors.rs"]
mod errors;
#[path = "grantctl/exports.rs"]
mod exports;
#[path = "grantctl/facility.rs"]
mod facility;
#[path = "grantctl/golden.rs"]
mod golden;
#[path = "grantctl/reports.rs"]
mod reports;
#[path = "grantctl/reviewing.rs"]
mod reviewing;
#[path = "grantctl/run.rs"]
mod run;
#[path = "grantctl/story.rs"]
mod story;
#[path = "grantctl/teams.rs"]
mod teams;
#[path = "grantctl/usability.rs"]
mod usability;
#[path = "grantctl/watching.rs"]
mod watching;
#[path = "grantctl/webhook_receiver.rs"]
mod webhook_receiver;
#[path = "grantctl/webhooks.rs"]
mod webhooks;

use common::Backend;
use contexts::{
    contexts_switch_servers_and_keys_and_flags_and_environment_win,
    endpoints_need_no_scheme_and_a_missing_key_says_what_to_set,
};
use documents::{
    document_requirements_lists_versions_and_submission, documents_survive_a_dropped_connection,
    documents_upload_and_download_byte_for_byte_and_resume,
};
use errors::every_error_class_has_its_exit_code_and_the_token_never_shows;
use exports::exports_read_back_by_python_match_the_api;
use facility::the_beam_time_story_through_grantctl;
use golden::{tables_align_bilingual_names_and_format_money, text_that_would_redraw_a_terminal_is_escaped};
use reports::the_post_award_contract_through_grantctl;
use reviewing::peer_review_through_grantctl;
use story::the_gba_story_through_grantctl_alone;
use teams::{
    json_shapes_of_teams_sign_off_people_and_requirements,
    partners_read_but_do_not_change_and_bad_teams_name_their_field, the_cross_border_sign_off_through_grantctl,
};
use usability::{
    institutions_update_changes_only_the_fields_given, missing_and_foreign_parents_are_the_same_error_exit_3,
    review_and_reviews_are_one_tree, times_may_be_relative_to_now,
    values_in_any_case_and_the_state_and_institution_shortcuts, whoami_shows_each_roles_key_and_scope_never_its_secret,
};
use watching::watch_events_resumes_across_a_restart_without_gaps_or_duplicates;
use webhooks::webhooks_through_grantctl;

on_every_backend!(
    the_gba_story_through_grantctl_alone,
    tables_align_bilingual_names_and_format_money,
    text_that_would_redraw_a_terminal_is_escaped,
    watch_events_resumes_across_a_restart_without_gaps_or_duplicates,
    every_error_class_has_its_exit_code_and_the_token_never_shows,
    peer_review_through_grantctl,
    contexts_switch_servers_and_keys_and_flags_and_environment_win,
    endpoints_need_no_scheme_and_a_missing_key_says_what_to_set,
    whoami_shows_each_roles_key_and_scope_never_its_secret,
    values_in_any_case_and_the_state_and_institution_shortcuts,
    missing_and_foreign_parents_are_the_same_error_exit_3,
    institutions_update_changes_only_the_fields_given,
    review_and_reviews_are_one_tree,
    times_may_be_relative_to_now,
    documents_upload_and_download_byte_for_byte_and_resume,
    document_requirements_lists_versions_and_submission,
    documents_survive_a_dropped_connection,
    the_cross_border_sign_off_through_grantctl,
    partners_read_but_do_not_change_and_bad_teams_name_their_field,
    json_shapes_of_teams_sign_off_people_and_requirements,
    exports_read_back_by_python_match_the_api,
    the_post_award_contract_through_grantctl,
    webhooks_through_grantctl,
    the_beam_time_story_through_grantctl,
);

/// Keeps `Backend` used when the macro's expansion is the only user.
#[allow(dead_code)]
fn _backend(_: Backend) {}
