//! grantctl, the command-line client, run as a subprocess against real
//! servers on every backend: the whole GBA story through `-o json`, golden
//! tables, `watch events` across a restart while 500 events are written,
//! peer review from settings to ranking and overridden approval, and every
//! error class's exit code. grantctl's self-contained modules
//! (errors and exit codes, money, names, times, tables, backoff) are
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
#[path = "../services/grantctl/money.rs"]
mod money;
#[allow(dead_code)]
#[path = "../services/grantctl/names.rs"]
mod names;
#[allow(dead_code)]
#[path = "../services/grantctl/table.rs"]
mod table;
#[allow(dead_code)]
#[path = "../services/grantctl/timefmt.rs"]
mod timefmt;
#[allow(dead_code)]
#[path = "../services/grantctl/transient.rs"]
mod transient;

#[path = "grantctl/errors.rs"]
mod errors;
#[path = "grantctl/golden.rs"]
mod golden;
#[path = "grantctl/reviewing.rs"]
mod reviewing;
#[path = "grantctl/run.rs"]
mod run;
#[path = "grantctl/story.rs"]
mod story;
#[path = "grantctl/watching.rs"]
mod watching;

use common::Backend;
use errors::every_error_class_has_its_exit_code_and_the_token_never_shows;
use golden::{tables_align_bilingual_names_and_format_money, text_that_would_redraw_a_terminal_is_escaped};
use reviewing::peer_review_through_grantctl;
use story::the_gba_story_through_grantctl_alone;
use watching::watch_events_resumes_across_a_restart_without_gaps_or_duplicates;

on_every_backend!(
    the_gba_story_through_grantctl_alone,
    tables_align_bilingual_names_and_format_money,
    text_that_would_redraw_a_terminal_is_escaped,
    watch_events_resumes_across_a_restart_without_gaps_or_duplicates,
    every_error_class_has_its_exit_code_and_the_token_never_shows,
    peer_review_through_grantctl,
);

/// Keeps `Backend` used when the macro's expansion is the only user.
#[allow(dead_code)]
fn _backend(_: Backend) {}
