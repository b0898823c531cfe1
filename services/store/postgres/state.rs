//! What the PostgreSQL backend holds, shared with its detached writes.

use std::sync::Arc;

use tokio::sync::watch;

use super::{kept, points, recent};
use crate::store::shared::Sea;

/// The backend's state.
pub(crate) struct Inner {
    pub(crate) sea: Arc<Sea>,
    /// Added to transaction ids to make event positions
    /// (`event_log_state.pos_offset`, see `log`).
    pub(crate) offset: i64,
    pub(crate) kept: Arc<kept::Kept>,
    pub(crate) points: points::Points,
    pub(crate) recent: recent::Recent,
    pub(crate) gates: Gates,
    /// The newest position this process committed, which a job announces
    /// to every replica, coalescing the commits that land while one
    /// announcement is on its way.
    pub(crate) committed: watch::Sender<i64>,
}

impl Inner {
    /// After a commit that appended an event at `seq`: wakes this
    /// process's tailer and has every replica told.
    pub(crate) fn announce(&self, seq: i64) {
        self.sea.appended.announce(Some(seq));
        metrics::counter!("gba_grants_events_appended_total").increment(1);
        self.committed.send_modify(|newest| *newest = (*newest).max(seq));
    }
}

/// Gates of this process for changes of a programme's totals, one per
/// stripe of programme ids (a programme always meets the same gate).
pub(crate) struct Gates {
    stripes: Box<[tokio::sync::Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            stripes: (0..256).map(|_| tokio::sync::Mutex::new(())).collect(),
            hasher: Default::default(),
        }
    }
}

impl Gates {
    pub(crate) fn of(&self, programme: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::BuildHasher;
        let stripes = self.stripes.len();
        let stripe = usize::try_from(self.hasher.hash_one(programme) % stripes as u64).unwrap_or(0);
        &self.stripes[stripe]
    }
}
