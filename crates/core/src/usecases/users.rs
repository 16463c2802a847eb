//! User administration. Organisation admins manage their own organisation and those below it;
//! the system admin manages everyone. Managing an account never grants sight of victims.

use crate::Amparo;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::UserRecord;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::user::{Locale, User, UserInput, check_password};
use amparo_domain::validation::required_text;
use amparo_domain::{FieldErrors, Role, UserId};
use serde::Deserialize;

/// Editable profile fields, with the version the editor saw.
#[derive(Clone, Debug, Deserialize)]
pub struct UserUpdate {
    pub display_name: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    pub version: i64,
}

impl Amparo {
    pub(crate) async fn user_relation(&self, ctx: &Ctx, target: &User) -> CoreResult<Relation> {
        if ctx.user().map(|u| u.user_id == target.id).unwrap_or(false) {
            return Ok(Relation::SelfRecord);
        }
        self.relation_to_org(ctx, &target.org_id).await
    }

    pub async fn create_user(&self, ctx: &Ctx, input: &UserInput) -> CoreResult<User> {
        let f = input.validate()?;
        let rel = self.relation_to_org(ctx, &f.org_id).await?;
        self.authorize(ctx, Action::CreateUser, rel, "user", "").await?;
        // Only a system admin (or the operator) may mint another system admin.
        if f.roles.contains(&Role::SystemAdmin) {
            let can = ctx.user().map(|u| u.roles.contains(&Role::SystemAdmin)).unwrap_or(true);
            if !can {
                return Err(CoreError::field("roles", "not_allowed_to_grant"));
            }
        }
        if self.store.get_org(&f.org_id).await?.is_none() {
            return Err(CoreError::field("org_id", "unknown_organisation"));
        }
        if self.store.find_user_by_email(&f.email).await?.is_some() {
            return Err(CoreError::field("email", "already_in_use"));
        }
        let hash = self.hasher.hash(&f.password, self.random.bytes::<16>()).await.map_err(CoreError::Internal)?;
        let user = User {
            id: UserId::from_trusted(self.random.new_id()),
            org_id: f.org_id,
            email: f.email,
            display_name: f.display_name,
            roles: f.roles,
            locale: f.locale,
            disabled: false,
            mfa_enrolled: false,
            mfa_exempt_demo: false,
            version: 1,
            created_at: self.now(),
        };
        let rec = UserRecord { user: user.clone(), password_hash: hash, totp_secret: None, totp_last_step: 0, recovery_hashes: vec![] };
        let mut ev = ctx.event(self.now(), "create_user", "ok", "user", user.id.as_str());
        ev.details = serde_json::json!({ "roles": user.roles, "org": user.org_id }).to_string();
        let seq = self.store.insert_user(&rec, &ev).await.map_err(|e| match e {
            crate::store::StoreError::Duplicate(_) => CoreError::field("email", "already_in_use"),
            e => e.into(),
        })?;
        self.maybe_checkpoint(seq).await;
        Ok(user)
    }

    pub async fn list_users(&self, ctx: &Ctx) -> CoreResult<Vec<User>> {
        self.authorize(ctx, Action::ListUsers, Relation::OwnOrgScope, "user", "").await?;
        let actor = ctx.actor.as_ref().ok_or(CoreError::Unauthenticated)?;
        // One read of the organisation tree for the whole list, not one per user.
        let parents = self.org_parents().await?;
        let mut out = Vec::new();
        for u in self.store.list_users().await? {
            let rel = if ctx.user().map(|me| me.user_id == u.id).unwrap_or(false) {
                Relation::SelfRecord
            } else {
                super::relation_in(ctx, &u.org_id, &parents)
            };
            if amparo_domain::policy::authorize(actor, Action::ReadUser, rel).is_ok() {
                out.push(u);
            }
        }
        out.sort_by(|a, b| a.email.cmp(&b.email));
        // Staff contact details are personal data too: the read is on the record.
        let mut ev = ctx.event(self.now(), "list_users", "ok", "user", "");
        ev.details = serde_json::json!({ "count": out.len() }).to_string();
        self.append(&ev).await?;
        Ok(out)
    }

    /// The user and the caller's relation to them; an unknown id is `Unrelated`, so it is
    /// refused exactly like another organisation's user (no existence oracle).
    async fn user_and_relation(&self, ctx: &Ctx, id: &UserId) -> CoreResult<(Option<User>, Relation)> {
        let found = self.store.get_user(id).await?.map(|u| u.user);
        let rel = match &found {
            Some(u) => self.user_relation(ctx, u).await?,
            None => Relation::Unrelated,
        };
        Ok((found, rel))
    }

    pub async fn get_user(&self, ctx: &Ctx, id: &UserId) -> CoreResult<User> {
        let (found, rel) = self.user_and_relation(ctx, id).await?;
        self.authorize(ctx, Action::ReadUser, rel, "user", id.as_str()).await?;
        let u = found.ok_or(CoreError::NotFound)?;
        self.append(&ctx.event(self.now(), "read_user", "ok", "user", id.as_str())).await?;
        Ok(u)
    }

    pub async fn update_user(&self, ctx: &Ctx, id: &UserId, upd: &UserUpdate) -> CoreResult<User> {
        let (found, rel) = self.user_and_relation(ctx, id).await?;
        // Editing oneself still needs admin rights (a user may not grant themself roles).
        let rel = if rel == Relation::SelfRecord { Relation::SameOrg } else { rel };
        self.authorize(ctx, Action::UpdateUser, rel, "user", id.as_str()).await?;
        let current = found.ok_or(CoreError::NotFound)?;
        let mut e = FieldErrors::new();
        let display_name = required_text(&mut e, "display_name", &upd.display_name, 120);
        let mut roles = Vec::new();
        for r in &upd.roles {
            match Role::parse(r) {
                Some(role) if !roles.contains(&role) => roles.push(role),
                Some(_) => {}
                None => e.add("roles", "invalid_choice"),
            }
        }
        if roles.is_empty() {
            e.add("roles", "required");
        }
        e.into_result()?;
        let grants_sysadmin = roles.contains(&Role::SystemAdmin) && !current.roles.contains(&Role::SystemAdmin);
        if grants_sysadmin && !ctx.user().map(|u| u.roles.contains(&Role::SystemAdmin)).unwrap_or(true) {
            return Err(CoreError::field("roles", "not_allowed_to_grant"));
        }
        if current.version != upd.version {
            return Err(CoreError::Conflict { current: serde_json::to_value(&current).unwrap_or_default() });
        }
        let user = User {
            display_name,
            roles,
            locale: upd.locale.as_deref().and_then(Locale::parse),
            disabled: upd.disabled,
            version: current.version + 1,
            ..current.clone()
        };
        let mut ev = ctx.event(self.now(), "update_user", "ok", "user", id.as_str());
        ev.details = serde_json::json!({ "roles": user.roles, "disabled": user.disabled }).to_string();
        match self.store.update_user(&user, &ev).await {
            Ok(seq) => self.maybe_checkpoint(seq).await,
            Err(crate::store::StoreError::Conflict) => {
                let now = self.store.get_user(id).await?.ok_or(CoreError::NotFound)?.user;
                return Err(CoreError::Conflict { current: serde_json::to_value(&now).unwrap_or_default() });
            }
            Err(e) => return Err(e.into()),
        }
        if user.disabled {
            self.store.delete_user_sessions(id).await?;
        }
        Ok(user)
    }

    /// Disable an account by e-mail (console). Its sessions end at once.
    pub async fn disable_user(&self, ctx: &Ctx, email: &str) -> CoreResult<User> {
        let rec = self.user_record_by_email(email).await?;
        let upd = UserUpdate {
            display_name: rec.user.display_name.clone(),
            roles: rec.user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            locale: rec.user.locale.map(|l| l.as_str().to_owned()),
            disabled: true,
            version: rec.user.version,
        };
        self.update_user(ctx, &rec.user.id, &upd).await
    }

    /// Set a new password (console or admin). Optionally clears two-factor so the user
    /// enrols again (lost phone). Ends the user's sessions.
    pub async fn reset_password(&self, ctx: &Ctx, email: &str, new_password: &str, reset_mfa: bool) -> CoreResult<User> {
        let rec = self.user_record_by_email(email).await?;
        let rel = self.user_relation(ctx, &rec.user).await?;
        let rel = if rel == Relation::SelfRecord { Relation::SameOrg } else { rel };
        self.authorize(ctx, Action::UpdateUser, rel, "user", rec.user.id.as_str()).await?;
        let mut e = FieldErrors::new();
        check_password(&mut e, "password", new_password);
        e.into_result()?;
        let hash = self.hasher.hash(new_password, self.random.bytes::<16>()).await.map_err(CoreError::Internal)?;
        let ev = ctx.event(self.now(), "reset_password", "ok", "user", rec.user.id.as_str());
        let seq = self.store.set_password(&rec.user.id, &hash, &ev).await?;
        self.maybe_checkpoint(seq).await;
        if reset_mfa {
            let ev = ctx.event(self.now(), "reset_mfa", "ok", "user", rec.user.id.as_str());
            self.store.set_mfa(&rec.user.id, None, &[], &ev).await?;
        }
        self.store.delete_user_sessions(&rec.user.id).await?;
        Ok(rec.user)
    }

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

    /// The account, if the actor may edit it (for showing an edit form). Editing oneself
    /// needs the same rights as editing a colleague.
    pub async fn user_for_edit(&self, ctx: &Ctx, id: &UserId) -> CoreResult<User> {
        let (found, rel) = self.user_and_relation(ctx, id).await?;
        let rel = if rel == Relation::SelfRecord { Relation::SameOrg } else { rel };
        self.authorize(ctx, Action::UpdateUser, rel, "user", id.as_str()).await?;
        found.ok_or(CoreError::NotFound)
    }

    /// An administrator resets someone's access (forgotten password, lost phone): a new
    /// temporary password, shown once, and optionally a fresh two-factor enrolment. Their
    /// sessions end. Administrators use the normal flow for their own account.
    pub async fn reset_access(&self, ctx: &Ctx, id: &UserId, reset_mfa: bool) -> CoreResult<(User, String)> {
        let u = self.user_for_edit(ctx, id).await?;
        if ctx.user().map(|me| me.user_id == u.id).unwrap_or(false) {
            return Err(CoreError::field("user", "cannot_reset_self"));
        }
        let temp: String = self.random.token().chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect();
        let user = self.reset_password(ctx, &u.email, &temp, reset_mfa).await?;
        Ok((user, temp))
    }
}
