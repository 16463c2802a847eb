//! Login, sessions, two-factor authentication and throttling.
//!
//! Sessions are server-side rows keyed by the SHA-256 of a random cookie value, with idle and
//! absolute timeouts. A new session id is issued at login and again when two-factor
//! completes, so a session id planted before login is worthless. Failed logins are counted in
//! the database per account and per client address (so every server instance sees the same
//! counts) and lead to a temporary lockout; each failure and lockout is audited.

use super::Access;
use crate::crypto::{sha256_hex, totp};
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::{SessionRecord, ThrottleState, UserRecord};
use amparo_domain::policy::{Actor, UserActor};
use amparo_domain::user::{Locale, MAX_PASSWORD_BYTES, User};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginStage {
    /// Fully signed in.
    Complete,
    /// Password accepted; a TOTP or recovery code is needed.
    NeedsMfa,
    /// Password accepted; the account must enrol a TOTP device first.
    NeedsEnrolment,
}

/// A freshly issued session. `cookie` is the raw value for the browser; only its hash is stored.
#[derive(Clone, Debug)]
pub struct IssuedSession {
    pub cookie: String,
    pub stage: LoginStage,
}

/// A session found from its cookie, with its user.
#[derive(Clone, Debug)]
pub struct ActiveSession {
    pub record: SessionRecord,
    pub user: User,
    pub stage: LoginStage,
}

impl ActiveSession {
    pub fn actor(&self) -> Actor {
        Actor::User(UserActor {
            user_id: self.user.id.clone(),
            org_id: self.user.org_id.clone(),
            roles: self.user.roles.clone(),
            mfa_satisfied: self.record.mfa_ok || !self.user.requires_mfa(),
        })
    }
}

/// What enrolment shows the user.
#[derive(Clone, Debug)]
pub struct Enrolment {
    pub otpauth_url: String,
    pub qr_svg: String,
    pub secret_base32: String,
}

fn stage_for(user: &User, has_secret: bool, mfa_ok: bool) -> LoginStage {
    if !user.requires_mfa() || mfa_ok {
        LoginStage::Complete
    } else if has_secret {
        LoginStage::NeedsMfa
    } else {
        LoginStage::NeedsEnrolment
    }
}

impl Access {
    /// A user's own language preference.
    pub async fn set_own_locale(&self, ctx: &Ctx, locale: Locale) -> CoreResult<()> {
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let current = self.store.get_user(&me.user_id).await?.ok_or(CoreError::NotFound)?.user;
        let user = User { locale: Some(locale), version: current.version + 1, ..current };
        let ev = ctx.event(self.now(), "set_locale", "ok", "user", me.user_id.as_str());
        let seq = self.store.update_user(&user, &ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok(())
    }

    fn account_key(email: &str) -> String {
        format!("acct:{}", sha256_hex(email.trim().to_lowercase().as_bytes()))
    }
    /// The login throttle's key for a client address: a keyed hash, never the address
    /// itself (staff addresses say where people work from; the table is not audited).
    fn ip_key(&self, ip: &str) -> String {
        format!("ip:{}", self.address_hash("login-ip", ip))
    }

    /// Seconds until `key` is unlocked, if it is locked now.
    async fn locked_for(&self, key: &str) -> CoreResult<Option<i64>> {
        let now = self.now();
        Ok(self.store.throttle_get(key).await?.filter(|t| t.locked_until > now).map(|t| t.locked_until - now))
    }

    /// Count a failure; lock when the count reaches `max` within the window. Audits lockouts.
    async fn count_failure(&self, ctx: &Ctx, key: &str, max: i64, subject: &str) -> CoreResult<()> {
        let now = self.now();
        let window = self.cfg.lockout_secs;
        let mut t = self.store.throttle_get(key).await?.unwrap_or_default();
        if now - t.window_start > window {
            t = ThrottleState { failures: 0, window_start: now, locked_until: 0 };
        }
        t.failures += 1;
        if t.failures >= max && t.locked_until <= now {
            t.locked_until = now + window;
            let mut ev = ctx.event(now, "lockout", "ok", subject, "");
            ev.details = serde_json::json!({ "scope": subject, "failures": t.failures, "until": t.locked_until }).to_string();
            self.append(&ev).await?;
        }
        self.store.throttle_put(key, &t).await?;
        Ok(())
    }

    async fn issue_session(
        &self,
        user: &User,
        mfa_ok: bool,
        locale: Option<String>,
        pending: Option<Vec<u8>>,
    ) -> CoreResult<(String, SessionRecord)> {
        let cookie = self.random.token();
        let now = self.now();
        let rec = SessionRecord {
            id_hash: sha256_hex(cookie.as_bytes()),
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            mfa_ok,
            pending_totp: pending,
            locale,
        };
        self.store.insert_session(&rec).await?;
        Ok((cookie, rec))
    }

    /// Check a password and open a session. Unknown e-mail, wrong password and disabled
    /// account all give the same `BadCredentials`, in the same time.
    pub async fn login(&self, ctx: &Ctx, email: &str, password: &str, previous_cookie: Option<&str>) -> CoreResult<IssuedSession> {
        let email = email.trim().to_lowercase();
        if email.is_empty() || password.is_empty() || password.len() > MAX_PASSWORD_BYTES || email.len() > 254 {
            return Err(CoreError::BadCredentials);
        }
        let acct = Self::account_key(&email);
        let ip = self.ip_key(&ctx.client_ip);
        // Throttle before hashing: a locked account costs the attacker nothing to ask about
        // and costs us nothing to refuse.
        for key in [&ip, &acct] {
            if let Some(retry_after) = self.locked_for(key).await? {
                let ev = ctx.event(self.now(), "login", "throttled", "account", "");
                self.append(&ev).await?;
                return Err(CoreError::Throttled { retry_after });
            }
        }
        let found = self.store.find_user_by_email(&email).await?;
        let ok = self.hasher.verify(password, found.as_ref().map(|u| u.password_hash.as_str())).await;
        let user = match found {
            Some(rec) if ok && !rec.user.disabled => rec,
            other => {
                let uid = other.as_ref().map(|r| r.user.id.to_string()).unwrap_or_default();
                let reason = match &other {
                    Some(r) if r.user.disabled && ok => "disabled",
                    Some(_) => "bad_password",
                    None => "unknown_account",
                };
                let mut ev = ctx.event(self.now(), "login", "failed", "user", &uid);
                ev.details = serde_json::json!({ "reason": reason }).to_string();
                self.append(&ev).await?;
                self.count_failure(ctx, &acct, self.cfg.account_max_failures, "account").await?;
                self.count_failure(ctx, &ip, self.cfg.ip_max_failures, "client_ip").await?;
                return Err(CoreError::BadCredentials);
            }
        };
        self.store.throttle_clear(&acct).await?;
        if let Some(prev) = previous_cookie {
            self.store.delete_session(&sha256_hex(prev.as_bytes())).await?;
        }
        let stage = stage_for(&user.user, user.totp_secret.is_some(), false);
        let mfa_ok = stage == LoginStage::Complete;
        let (cookie, _) = self.issue_session(&user.user, mfa_ok, user.user.locale.map(|l| l.as_str().to_owned()), None).await?;
        let mut ev = ctx.event(self.now(), "login", "ok", "user", user.user.id.as_str());
        ev.actor = user.user.id.to_string();
        ev.actor_org = user.user.org_id.to_string();
        ev.details = serde_json::json!({ "stage": format!("{stage:?}") }).to_string();
        self.append(&ev).await?;
        Ok(IssuedSession { cookie, stage })
    }

    /// Find the live session for a cookie, enforcing timeouts and disabled accounts.
    pub async fn resolve_session(&self, cookie: &str) -> CoreResult<Option<ActiveSession>> {
        if cookie.is_empty() || cookie.len() > 128 {
            return Ok(None);
        }
        let hash = sha256_hex(cookie.as_bytes());
        let Some(mut rec) = self.store.get_session(&hash).await? else { return Ok(None) };
        let now = self.now();
        if now - rec.last_seen_at > self.cfg.session_idle_secs || now - rec.created_at > self.cfg.session_absolute_secs {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        let Some(user) = self.store.get_user(&rec.user_id).await? else { return Ok(None) };
        if user.user.disabled {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        // Touch at most once a minute: enough for the idle timeout, far fewer writes.
        if now - rec.last_seen_at >= 60 {
            rec.last_seen_at = now;
            self.store.update_session(&rec).await?;
        }
        let stage = stage_for(&user.user, user.totp_secret.is_some(), rec.mfa_ok);
        Ok(Some(ActiveSession { record: rec, user: user.user, stage }))
    }

    pub async fn logout(&self, ctx: &Ctx, cookie: &str) -> CoreResult<()> {
        self.store.delete_session(&sha256_hex(cookie.as_bytes())).await?;
        self.append(&ctx.event(self.now(), "logout", "ok", "session", "")).await?;
        Ok(())
    }

    /// A language chosen on the login page wins over the account's saved one: the new
    /// session uses it and the account keeps it (audited as `set_locale`).
    pub async fn keep_login_language(
        &self,
        cookie: &str,
        locale: amparo_domain::user::Locale,
        client_ip: &str,
        operation_id: &str,
    ) -> CoreResult<()> {
        let Some(s) = self.resolve_session(cookie).await? else { return Ok(()) };
        self.set_session_locale(&s, locale.as_str()).await?;
        if s.user.locale != Some(locale) {
            let ctx = Ctx { actor: Some(s.actor()), client_ip: client_ip.to_owned(), operation_id: operation_id.to_owned() };
            self.set_own_locale(&ctx, locale).await?;
        }
        Ok(())
    }

    pub async fn set_session_locale(&self, session: &ActiveSession, locale: &str) -> CoreResult<()> {
        let mut rec = session.record.clone();
        rec.locale = Some(locale.to_owned());
        self.store.update_session(&rec).await?;
        Ok(())
    }

    /// Begin (or resume) TOTP enrolment: a secret is kept, encrypted, in the session until
    /// the first code confirms it.
    pub async fn start_enrolment(&self, session: &ActiveSession) -> CoreResult<Enrolment> {
        // Replacing an enrolled device needs an administrator's reset (`--reset-mfa`): a
        // stolen session must not be able to move the second factor to the thief's phone.
        if session.user.mfa_enrolled || !matches!(session.stage, LoginStage::NeedsEnrolment | LoginStage::Complete) {
            return Err(CoreError::field("code", "mfa_already_enrolled"));
        }
        let sid = session.record.id_hash.clone();
        let secret = match &session.record.pending_totp {
            Some(blob) => self.open("sessions", "pending_totp", &sid, blob)?,
            None => {
                let fresh = hex::encode(self.random.bytes::<20>());
                let blob = self.seal("sessions", "pending_totp", &sid, &fresh)?;
                if self.store.set_pending_totp_if_absent(&sid, &blob).await? {
                    fresh
                } else {
                    // Another request got there first: show the secret it stored.
                    let rec = self.store.get_session(&sid).await?.ok_or(CoreError::Unauthenticated)?;
                    let stored = rec.pending_totp.ok_or_else(|| CoreError::internal("pending secret vanished"))?;
                    self.open("sessions", "pending_totp", &sid, &stored)?
                }
            }
        };
        let raw = hex::decode(secret).map_err(CoreError::internal)?;
        let (otpauth_url, qr_svg, secret_base32) = totp::enrolment(&raw, "Amparo", &session.user.email).map_err(CoreError::Internal)?;
        Ok(Enrolment { otpauth_url, qr_svg, secret_base32 })
    }

    /// Confirm enrolment with a first code. Returns a new session (fresh id, two-factor done)
    /// and the recovery codes, shown once.
    pub async fn confirm_enrolment(&self, ctx: &Ctx, session: &ActiveSession, code: &str) -> CoreResult<(IssuedSession, Vec<String>)> {
        if session.user.mfa_enrolled {
            return Err(CoreError::field("code", "mfa_already_enrolled"));
        }
        let sid = &session.record.id_hash;
        let Some(blob) = &session.record.pending_totp else { return Err(CoreError::field("code", "enrolment_not_started")) };
        let secret_hex = self.open("sessions", "pending_totp", sid, blob)?;
        let secret = hex::decode(&secret_hex).map_err(CoreError::internal)?;
        let Some(step) = totp::matching_step(&secret, code, self.now()) else {
            self.append(&ctx.event(self.now(), "mfa_enrol", "failed", "user", session.user.id.as_str())).await?;
            return Err(CoreError::field("code", "invalid_code"));
        };
        let uid = &session.user.id;
        let codes: Vec<String> = (0..10).map(|_| totp::recovery_code(&self.random.bytes::<10>())).collect();
        let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(totp::normalise_recovery(c).as_bytes())).collect();
        let sealed = self.seal("users", "totp_secret", uid.as_str(), &secret_hex)?;
        let ev = ctx.event(self.now(), "mfa_enrol", "ok", "user", uid.as_str());
        let seq = self.store.set_mfa(uid, Some(&sealed), &hashes, &ev).await?;
        self.maybe_checkpoint(seq).await;
        self.store.advance_totp_step(uid, step).await?;
        self.store.delete_session(sid).await?;
        let (cookie, _) = self.issue_session(&session.user, true, session.record.locale.clone(), None).await?;
        Ok((IssuedSession { cookie, stage: LoginStage::Complete }, codes))
    }

    /// Verify a TOTP code or a recovery code. On success the session is replaced by one with
    /// a fresh id and two-factor done. Failures count toward the account lockout.
    pub async fn verify_mfa(&self, ctx: &Ctx, session: &ActiveSession, code: &str) -> CoreResult<IssuedSession> {
        let uid = &session.user.id;
        let acct = Self::account_key(&session.user.email);
        if let Some(retry_after) = self.locked_for(&acct).await? {
            return Err(CoreError::Throttled { retry_after });
        }
        let Some(rec) = self.store.get_user(uid).await? else { return Err(CoreError::Unauthenticated) };
        let Some(blob) = &rec.totp_secret else { return Err(CoreError::field("code", "enrolment_not_started")) };
        let secret = hex::decode(self.open("users", "totp_secret", uid.as_str(), blob)?).map_err(CoreError::internal)?;
        let now = self.now();
        let accepted = match totp::matching_step(&secret, code, now) {
            Some(step) => self.store.advance_totp_step(uid, step).await?,
            None => {
                let h = sha256_hex(totp::normalise_recovery(code).as_bytes());
                let ev = ctx.event(now, "mfa_recovery_code_used", "ok", "user", uid.as_str());

                rec.recovery_hashes.contains(&h) && self.store.consume_recovery_code(uid, &h, &ev).await?
            }
        };
        if !accepted {
            self.append(&ctx.event(now, "mfa_verify", "failed", "user", uid.as_str())).await?;
            self.count_failure(ctx, &acct, self.cfg.account_max_failures, "account").await?;
            return Err(CoreError::field("code", "invalid_code"));
        }
        self.store.delete_session(&session.record.id_hash).await?;
        let (cookie, _) = self.issue_session(&session.user, true, session.record.locale.clone(), None).await?;
        self.append(&ctx.event(now, "mfa_verify", "ok", "user", uid.as_str())).await?;
        Ok(IssuedSession { cookie, stage: LoginStage::Complete })
    }

    /// Test and support helper: is this user's account currently locked?
    pub async fn account_locked(&self, email: &str) -> CoreResult<bool> {
        Ok(self.locked_for(&Self::account_key(email)).await?.is_some())
    }

    pub(crate) async fn user_record_by_email(&self, email: &str) -> CoreResult<UserRecord> {
        self.store.find_user_by_email(&email.trim().to_lowercase()).await?.ok_or(CoreError::NotFound)
    }
}
