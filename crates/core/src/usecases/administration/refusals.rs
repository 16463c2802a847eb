//! Requests refused before any use case runs leave a trace: a form post without a valid
//! CSRF token or from another site, and a bearer token that is malformed, unknown, forged,
//! expired, revoked or held by a disabled account. Each is an audit entry with the outcome
//! `refused` (the audit viewer filters on it), saying why, the method and the path — never
//! the token or the body.
//!
//! An attacker could flood the trail with refusals, so each source (a keyed hash of its
//! address, never the address) gets at most [`REFUSALS_PER_MINUTE`] entries a minute, then
//! one entry saying that further refusals are being counted, and, when the minute is over,
//! one entry with the count. All sources together get at most [`ALL_REFUSALS_PER_MINUTE`].
//! The counters live in the throttling table, like login failures.

use super::Access;
use crate::ctx::Ctx;
use crate::error::CoreResult;
use crate::store::ThrottleState;
use serde::Serialize;

pub const REFUSALS_PER_MINUTE: i64 = 10;
pub const ALL_REFUSALS_PER_MINUTE: i64 = 200;
const WINDOW_SECS: i64 = 60;

/// Why a request was refused before reaching a use case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// `Sec-Fetch-Site: cross-site`.
    CrossSite,
    /// An `Origin` that is not this host.
    OriginMismatch,
    /// No session or pre-session cookie to bind a CSRF token to.
    NoCsrfBinding,
    /// A missing or wrong CSRF token.
    BadCsrfToken,
    /// Not shaped like an Amparo token.
    MalformedToken,
    /// No such token.
    UnknownToken,
    /// The token exists but the secret is wrong (forged or guessed).
    BadTokenSecret,
    RevokedToken,
    ExpiredToken,
    /// The token's owner is disabled.
    AccountDisabled,
    /// The token's owner must use two-factor and has not enrolled.
    SecondFactorNotEnrolled,
}

impl RefusalReason {
    fn action(self) -> &'static str {
        match self {
            RefusalReason::CrossSite | RefusalReason::OriginMismatch | RefusalReason::NoCsrfBinding | RefusalReason::BadCsrfToken => {
                "csrf_check"
            }
            _ => "api_token_auth",
        }
    }
}

/// What was refused, as the audit entry records it.
pub struct Refusal<'a> {
    pub reason: RefusalReason,
    pub method: &'a str,
    pub path: &'a str,
    /// The token concerned when it exists (its id is not secret), so its owner's
    /// organisation sees the refusal in its audit trail.
    pub token_id: Option<&'a str>,
    pub token_owner_org: Option<&'a str>,
}

/// The outcome of counting one refusal against a window.
#[derive(Debug, PartialEq, Eq)]
enum Count {
    /// Record it.
    Record,
    /// The limit was just passed: record that further refusals are only counted.
    StartSuppressing,
    /// Count it only.
    Suppress,
}

/// Count one refusal at `now` (pure: the caller loads and stores the state). Returns what to
/// do, the new state, and the count suppressed in a window that just ended (to report).
fn count(mut t: ThrottleState, now: i64, limit: i64) -> (Count, ThrottleState, i64) {
    let mut ended_suppressed = 0;
    if now - t.window_start >= WINDOW_SECS {
        ended_suppressed = (t.failures - limit - 1).max(0);
        t = ThrottleState { failures: 0, window_start: now, locked_until: 0 };
    }
    t.failures += 1;
    let c = if t.failures <= limit {
        Count::Record
    } else if t.failures == limit + 1 {
        Count::StartSuppressing
    } else {
        Count::Suppress
    };
    (c, t, ended_suppressed)
}

impl Access {
    /// Record a refused request (see the module header). Failing to record must not turn a
    /// refusal into an acceptance: the caller refuses whatever this returns.
    pub async fn record_refusal(&self, client_ip: &str, operation_id: &str, r: &Refusal<'_>) -> CoreResult<()> {
        let now = self.now();
        let source_key = format!("refusal:{}", self.address_hash("refusal-ip", client_ip));
        let global_key = "refusal:*";
        let (global, gstate, gended) = count(self.store.throttle_get(global_key).await?.unwrap_or_default(), now, ALL_REFUSALS_PER_MINUTE);
        self.store.throttle_put(global_key, &gstate).await?;
        let (mine, state, ended) = count(self.store.throttle_get(&source_key).await?.unwrap_or_default(), now, REFUSALS_PER_MINUTE);
        self.store.throttle_put(&source_key, &state).await?;
        // The anonymous public form promises to keep no address; elsewhere the address of a
        // refused request is what an investigation needs.
        let ip = if r.path.starts_with("/public/") { "" } else { client_ip };
        let ctx = Ctx::anonymous(ip, operation_id);
        let path: String = r.path.chars().take(200).collect();
        for (n, scope) in [(ended, "source"), (gended, "all")] {
            if n > 0 {
                let mut ev = ctx.event(now, "refusals_suppressed", "refused", "request", "");
                ev.details = serde_json::json!({ "suppressed": n, "scope": scope, "window_secs": WINDOW_SECS }).to_string();
                self.append(&ev).await?;
            }
        }
        let what = match (&global, &mine) {
            (Count::Suppress, _) | (_, Count::Suppress) => return Ok(()),
            (Count::StartSuppressing, _) | (_, Count::StartSuppressing) => Count::StartSuppressing,
            _ => Count::Record,
        };
        let mut ev = ctx.event(
            now,
            r.reason.action(),
            "refused",
            if r.token_id.is_some() { "api_token" } else { "request" },
            r.token_id.unwrap_or(""),
        );
        if let Some(org) = r.token_owner_org {
            ev.actor_org = org.to_owned();
        }
        ev.details = match what {
            Count::StartSuppressing => serde_json::json!({
                "reason": r.reason, "method": r.method, "path": path,
                "limit_reached": true, "limit_per_minute": if global == Count::StartSuppressing { ALL_REFUSALS_PER_MINUTE } else { REFUSALS_PER_MINUTE },
            }),
            _ => serde_json::json!({ "reason": r.reason, "method": r.method, "path": path }),
        }
        .to_string();
        self.append(&ev).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_a_bounded_number_of_entries_a_minute() {
        let mut t = ThrottleState::default();
        let mut recorded = 0;
        let mut started = 0;
        for i in 0..1_000 {
            let (c, next, ended) = count(t, 1_000 + i % 50, 10);
            assert_eq!(ended, 0);
            match c {
                Count::Record => recorded += 1,
                Count::StartSuppressing => started += 1,
                Count::Suppress => {}
            }
            t = next;
        }
        assert_eq!((recorded, started), (10, 1));
        // The next window reports what was only counted, and records again.
        let (c, next, ended) = count(t, 1_000 + 60, 10);
        assert_eq!((c, ended), (Count::Record, 1_000 - 11));
        assert_eq!(next.failures, 1);
    }

    #[test]
    fn under_the_limit_everything_is_recorded() {
        let mut t = ThrottleState::default();
        for i in 0..10 {
            let (c, next, _) = count(t, i * 7, 10);
            assert_eq!(c, Count::Record);
            t = next;
        }
    }
}
