//! User administration. Organisation admins manage their own organisation and those below it;
//! the system admin manages everyone. Managing an account never grants sight of victims.

use super::Administration;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::UserRecord;
use amparo_domain::grant::{Granter, may_grant};
use amparo_domain::org::{OrgKind, Organisation};
use amparo_domain::policy::{Action, Actor, Relation};
use amparo_domain::user::{Locale, User, UserInput, check_password};
use amparo_domain::validation::required_text;
use amparo_domain::{FieldErrors, Role, UserId};
use serde::Deserialize;

/// A row of the user administration list: the account, what the viewer may do with it, and
/// the roles it holds that its organisation's kind may not.
#[derive(Clone, Debug)]
pub struct UserAdminRow {
    pub user: User,
    pub can_edit: bool,
    pub can_set_status: bool,
    pub misfit_roles: Vec<Role>,
}

/// Editable profile fields, with the version the editor saw.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct UserUpdate {
    pub display_name: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    pub version: i64,
}

impl Administration {
    /// Who is granting roles to an account of `target_org`, as the granting rule sees it.
    async fn granter_for(&self, ctx: &Ctx, target_org: &amparo_domain::OrgId) -> CoreResult<Granter> {
        match &ctx.actor {
            Some(Actor::System) => Ok(Granter::Console),
            Some(Actor::User(u)) => {
                // A user whose organisation is gone grants nothing (`Court` holds no grantable role but admin).
                let own_kind = self.store.get_org(&u.org_id).await?.map(|o| o.kind).unwrap_or(OrgKind::Court);
                let rel = self.relation_to_org(ctx, target_org).await?;
                Ok(Granter::User {
                    is_system_admin: u.roles.contains(&Role::SystemAdmin),
                    is_org_admin: u.roles.contains(&Role::OrgAdmin),
                    own_kind,
                    within_own: matches!(rel, Relation::SameOrg | Relation::SubOrg),
                })
            }
            None => Err(CoreError::Unauthenticated),
        }
    }

    /// Refuse, naming each role, any role `ctx` may not give to an account of `target`
    /// (`amparo_domain::grant`). `override_fit` is the console's explicit override of the
    /// organisation-kind check.
    async fn check_grants(&self, ctx: &Ctx, target: &Organisation, roles: &[Role], override_fit: bool) -> CoreResult<()> {
        let g = self.granter_for(ctx, &target.id).await?;
        let mut e = FieldErrors::new();
        for r in roles {
            if let Err(refusal) = may_grant(g, *r, target.kind, &self.profile.role_fit, override_fit) {
                e.add_detail("roles", refusal.code(), r.as_str());
            }
        }
        Ok(e.into_result()?)
    }

    /// The roles `ctx` may give to accounts of organisation `org` (what the form offers).
    pub async fn grantable_roles(&self, ctx: &Ctx, org: &amparo_domain::OrgId) -> CoreResult<Vec<Role>> {
        let Some(target) = self.store.get_org(org).await? else { return Ok(vec![]) };
        let rel = self.relation_to_org(ctx, org).await?;
        let Some(actor) = &ctx.actor else { return Err(CoreError::Unauthenticated) };
        if amparo_domain::policy::authorize(actor, Action::CreateUser, rel).is_err() {
            return Ok(vec![]);
        }
        let g = self.granter_for(ctx, org).await?;
        Ok(Role::ALL.into_iter().filter(|r| may_grant(g, *r, target.kind, &self.profile.role_fit, false).is_ok()).collect())
    }

    /// The organisations `ctx` may create accounts in, each with the roles it may grant there
    /// (organisations where it may grant none are left out).
    pub async fn user_creation_targets(&self, ctx: &Ctx) -> CoreResult<Vec<(Organisation, Vec<Role>)>> {
        // One read of the organisations for the whole page (the tree, the kinds and the
        // caller's own), not a few queries per organisation.
        let Some(actor) = &ctx.actor else { return Err(CoreError::Unauthenticated) };
        let orgs = self.store.list_orgs().await?;
        let parents: std::collections::HashMap<_, _> = orgs.iter().map(|o| (o.id.clone(), o.parent_id.clone())).collect();
        let own_kind = ctx.org_id().and_then(|mine| orgs.iter().find(|o| &o.id == mine)).map(|o| o.kind).unwrap_or(OrgKind::Court);
        let mut out = Vec::new();
        for o in orgs.iter() {
            let rel = crate::kernel::relation_in(ctx, &o.id, &parents);
            if amparo_domain::policy::authorize(actor, Action::CreateUser, rel).is_err() {
                continue;
            }
            let g = match actor {
                Actor::System => Granter::Console,
                Actor::User(u) => Granter::User {
                    is_system_admin: u.roles.contains(&Role::SystemAdmin),
                    is_org_admin: u.roles.contains(&Role::OrgAdmin),
                    own_kind,
                    within_own: matches!(rel, Relation::SameOrg | Relation::SubOrg),
                },
            };
            let roles: Vec<Role> =
                Role::ALL.into_iter().filter(|r| may_grant(g, *r, o.kind, &self.profile.role_fit, false).is_ok()).collect();
            if !roles.is_empty() {
                out.push((o.clone(), roles));
            }
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }

    pub async fn create_user(&self, ctx: &Ctx, input: &UserInput) -> CoreResult<User> {
        self.create_user_as(ctx, input, false).await
    }

    /// The console's `user add --allow-role-misfit`: the organisation-kind check is skipped,
    /// and the audit entry says so. Every other rule still holds.
    pub async fn create_user_overriding_fit(&self, ctx: &Ctx, input: &UserInput) -> CoreResult<User> {
        if !matches!(ctx.actor, Some(Actor::System)) {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::RoleNotPermitted));
        }
        self.create_user_as(ctx, input, true).await
    }

    async fn create_user_as(&self, ctx: &Ctx, input: &UserInput, override_fit: bool) -> CoreResult<User> {
        let f = input.validate()?;
        let rel = self.relation_to_org(ctx, &f.org_id).await?;
        self.authorize(ctx, Action::CreateUser, rel, "user", "").await?;
        let Some(target) = self.store.get_org(&f.org_id).await? else {
            return Err(CoreError::field("org_id", "unknown_organisation"));
        };
        // Who may grant which role: national roles, system administration, and roles the
        // organisation's kind may not hold are refused here, nothing written.
        self.check_grants(ctx, &target, &f.roles, override_fit).await?;
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
        let misfits = self.profile.role_fit.misfits(target.kind, &user.roles);
        ev.details = if override_fit && !misfits.is_empty() {
            serde_json::json!({ "roles": user.roles, "org": user.org_id, "override_role_fit": misfits }).to_string()
        } else {
            serde_json::json!({ "roles": user.roles, "org": user.org_id }).to_string()
        };
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
                crate::kernel::relation_in(ctx, &u.org_id, &parents)
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
            Some(u) => self.scope().user_relation(ctx, u).await?,
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
        // Roles this edit adds go through the granting rule; roles already held stay (an
        // account flagged as a misfit can still be renamed or disabled).
        let added: Vec<Role> = roles.iter().copied().filter(|r| !current.roles.contains(r)).collect();
        if !added.is_empty() {
            let target = self.store.get_org(&current.org_id).await?.ok_or(CoreError::NotFound)?;
            self.check_grants(ctx, &target, &added, false).await?;
        }
        self.check_admin_continuity(ctx, &current, &roles, upd.disabled).await?;
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
        // Disabling and enabling are their own actions in the trail, not a plain edit.
        let only_status = user.disabled != current.disabled
            && user.display_name == current.display_name
            && user.roles == current.roles
            && user.locale == current.locale;
        let action = match (only_status, user.disabled) {
            (true, true) => "disable_user",
            (true, false) => "enable_user",
            _ => "update_user",
        };
        let mut ev = ctx.event(self.now(), action, "ok", "user", id.as_str());
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

    /// Nobody disables their own account or takes away their own administration, and the
    /// last active system administrator can be neither disabled nor demoted: one click must
    /// not lock an administrator, or everyone, out.
    async fn check_admin_continuity(&self, ctx: &Ctx, current: &User, roles: &[Role], disabled: bool) -> CoreResult<()> {
        let mut e = FieldErrors::new();
        if ctx.user().is_some_and(|me| me.user_id == current.id) {
            if disabled && !current.disabled {
                e.add("disabled", "cannot_disable_self");
            }
            for admin in [Role::OrgAdmin, Role::SystemAdmin] {
                if current.roles.contains(&admin) && !roles.contains(&admin) {
                    e.add_detail("roles", "cannot_remove_own_admin", admin.as_str());
                }
            }
        }
        let loses_sysadmin =
            current.roles.contains(&Role::SystemAdmin) && !current.disabled && (disabled || !roles.contains(&Role::SystemAdmin));
        if loses_sysadmin {
            let others = self
                .store
                .list_users()
                .await?
                .into_iter()
                .filter(|u| u.id != current.id && !u.disabled && u.roles.contains(&Role::SystemAdmin))
                .count();
            if others == 0 {
                e.add(if disabled { "disabled" } else { "roles" }, "last_system_admin");
            }
        }
        Ok(e.into_result()?)
    }

    /// The user administration list with what the viewer may do on each row (so a page shows
    /// only the buttons that work) and the roles each account holds that its organisation's
    /// kind may not (accounts made before the granting rule, or by an override).
    pub async fn users_for_admin(&self, ctx: &Ctx) -> CoreResult<Vec<UserAdminRow>> {
        let users = self.list_users(ctx).await?;
        let actor = ctx.actor.as_ref().ok_or(CoreError::Unauthenticated)?;
        let parents = self.org_parents().await?;
        let kinds: std::collections::HashMap<_, _> = self.store.list_orgs().await?.into_iter().map(|o| (o.id, o.kind)).collect();
        let active_sysadmins =
            self.store.list_users().await?.into_iter().filter(|u| !u.disabled && u.roles.contains(&Role::SystemAdmin)).count();
        Ok(users
            .into_iter()
            .map(|u| {
                let own = ctx.user().is_some_and(|me| me.user_id == u.id);
                let rel = if own { Relation::SameOrg } else { crate::kernel::relation_in(ctx, &u.org_id, &parents) };
                let may = amparo_domain::policy::authorize(actor, Action::UpdateUser, rel).is_ok();
                let last_sysadmin = u.roles.contains(&Role::SystemAdmin) && !u.disabled && active_sysadmins <= 1;
                let misfit_roles = kinds.get(&u.org_id).map(|k| self.profile.role_fit.misfits(*k, &u.roles)).unwrap_or_default();
                UserAdminRow { can_edit: may && !own, can_set_status: may && !own && !last_sysadmin, misfit_roles, user: u }
            })
            .collect())
    }

    /// Accounts holding roles their organisation's kind may not hold (`amparo check-config`).
    pub async fn misfit_accounts(&self, ctx: &Ctx) -> CoreResult<Vec<(User, OrgKind, Vec<Role>)>> {
        self.authorize(ctx, Action::ListUsers, Relation::OwnOrgScope, "user", "").await?;
        if !matches!(ctx.actor, Some(Actor::System)) && !ctx.user().is_some_and(|u| u.roles.contains(&Role::SystemAdmin)) {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::RoleNotPermitted));
        }
        let kinds: std::collections::HashMap<_, _> = self.store.list_orgs().await?.into_iter().map(|o| (o.id, o.kind)).collect();
        let mut out = Vec::new();
        for u in self.store.list_users().await? {
            if let Some(kind) = kinds.get(&u.org_id) {
                let m = self.profile.role_fit.misfits(*kind, &u.roles);
                if !m.is_empty() {
                    out.push((u, *kind, m));
                }
            }
        }
        Ok(out)
    }

    /// Disable an account by e-mail (console). Its sessions end at once.
    pub async fn disable_user(&self, ctx: &Ctx, email: &str) -> CoreResult<User> {
        let rec = self.access().user_record_by_email(email).await?;
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
        let rec = self.access().user_record_by_email(email).await?;
        let rel = self.scope().user_relation(ctx, &rec.user).await?;
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
