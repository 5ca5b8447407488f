//! The rotation calendar: every rotating CMK's next rotation, in time order, and the two
//! numbers an operator alerts on (how many are overdue, when the next one falls). All read
//! from the store's due-time index, never by reading every CMK.

use kmip_keystore::CmkRecord;

use crate::Service;
use crate::rotation::RotationError;

/// One line of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRotation {
    /// When the next automatic rotation falls (Unix seconds).
    pub next_rotation: i64,
    /// Whether that time has passed and the key has not rotated yet.
    pub overdue: bool,
    /// The CMK.
    pub record: CmkRecord,
}

/// One page of the calendar, and where the next starts.
#[derive(Debug, Clone, Default)]
pub struct SchedulePage {
    /// The rotations, soonest first.
    pub rotations: Vec<ScheduledRotation>,
    /// The cursor of the next page (`time:key_id`), when there is one.
    pub next_marker: Option<String>,
}

/// A calendar cursor: `time:key_id`.
pub fn parse_marker(marker: &str) -> Option<(i64, String)> {
    let (at, key_id) = marker.split_once(':')?;
    Some((at.parse().ok()?, key_id.to_owned()))
}

impl Service {
    /// The CMKs whose next rotation falls within `within_secs` from now (overdue ones first),
    /// those `keep` accepts, at most `limit`, after the cursor `marker`.
    pub fn rotation_schedule(
        &self,
        within_secs: i64,
        marker: Option<(i64, String)>,
        limit: usize,
        keep: impl Fn(&CmkRecord) -> bool,
    ) -> Result<SchedulePage, RotationError> {
        let now = self.now();
        let until = now.saturating_add(within_secs);
        let mut page = SchedulePage::default();
        let mut cursor = marker;
        // The index holds every project's keys: read in chunks until the page is full.
        loop {
            let chunk = self.store.scheduled_cmks(cursor.clone(), until, limit.max(1) * 2)?;
            let exhausted = chunk.len() < limit.max(1) * 2;
            for (at, key_id) in chunk {
                cursor = Some((at, key_id.clone()));
                let Some(record) = self.store.cmk(&key_id)? else { continue };
                if !keep(&record) {
                    continue;
                }
                if page.rotations.len() == limit {
                    // One more exists: the page ends at the last one it holds.
                    let last = page.rotations.last().map(|r| (r.next_rotation, r.record.key_id.clone()));
                    page.next_marker = last.map(|(at, id)| format!("{at}:{id}"));
                    return Ok(page);
                }
                page.rotations.push(ScheduledRotation { next_rotation: at, overdue: at <= now, record });
            }
            if exhausted {
                return Ok(page);
            }
        }
    }

    /// How many CMKs are overdue for rotation (their time has passed, the scheduler has not
    /// rotated them yet), counted up to `cap`; and the soonest next rotation.
    pub fn rotation_gauges(&self, cap: usize) -> Result<(usize, Option<i64>), RotationError> {
        let now = self.now();
        let overdue = self.store.scheduled_cmks(None, now, cap)?.len();
        let soonest = self.store.scheduled_cmks(None, i64::MAX, 1)?.first().map(|(at, _)| *at);
        Ok((overdue, soonest))
    }
}
