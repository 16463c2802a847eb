//! API bearer tokens: `amp_<id>_<secret>`. Only the SHA-256 of the secret is stored; tokens
//! expire and can be revoked. A token acts as its user, with that user's roles.

use crate::Amparo;
use crate::crypto::{ct_eq, sha256_hex};
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::TokenRecord;
use amparo_domain::policy::{Action, Actor, Relation, UserActor};
use amparo_domain::user::User;

const MAX_DAYS: i64 = 366;

impl Amparo {
    /// Create a token for the user with `email`. Users create their own; the console
    /// operator (`amparo token create`) may create one for anybody.
    pub async fn create_token(&self, ctx: &Ctx, email: &str, name: &str, days: i64) -> CoreResult<(String, TokenRecord)> {
        let rec = self.user_record_by_email(email).await?;
        let is_self = ctx.user().map(|u| u.user_id == rec.user.id).unwrap_or(false);
        let rel = if is_self { Relation::SelfRecord } else { Relation::Unrelated };
        self.authorize(ctx, Action::ManageOwnTokens, rel, "api_token", "").await?;
        if !is_self && !matches!(ctx.actor, Some(Actor::System)) {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(CoreError::field("expires", "out_of_range"));
        }
        if rec.user.disabled {
            return Err(CoreError::field("user", "account_disabled"));
        }
        let id = self.random.new_id();
        let secret = self.random.token();
        let now = self.now();
        let t = TokenRecord {
            id: id.clone(),
            user_id: rec.user.id.clone(),
            name: name.trim().chars().take(80).collect(),
            secret_hash: sha256_hex(secret.as_bytes()),
            created_at: now,
            expires_at: now + days * 86_400,
            revoked_at: None,
        };
        let ev = ctx.event(now, "create_token", "ok", "api_token", &id);
        let seq = self.store.insert_token(&t, &ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok((format!("amp_{id}_{secret}"), t))
    }

    /// Resolve a bearer token to its user. Any failure is plain `Unauthenticated`.
    pub async fn authenticate_token(&self, bearer: &str) -> CoreResult<(User, Actor)> {
        let rest = bearer.strip_prefix("amp_").ok_or(CoreError::Unauthenticated)?;
        let (id, secret) = rest.split_once('_').ok_or(CoreError::Unauthenticated)?;
        if id.len() > 64 || secret.len() > 128 {
            return Err(CoreError::Unauthenticated);
        }
        let t = self.store.find_token(id).await?.ok_or(CoreError::Unauthenticated)?;
        if !ct_eq(t.secret_hash.as_bytes(), sha256_hex(secret.as_bytes()).as_bytes())
            || t.revoked_at.is_some()
            || t.expires_at <= self.now()
        {
            return Err(CoreError::Unauthenticated);
        }
        let user = self.store.get_user(&t.user_id).await?.ok_or(CoreError::Unauthenticated)?.user;
        if user.disabled {
            return Err(CoreError::Unauthenticated);
        }
        let actor = Actor::User(UserActor {
            user_id: user.id.clone(),
            org_id: user.org_id.clone(),
            roles: user.roles.clone(),
            // A token is issued to a user who passed two-factor, or by the operator.
            mfa_satisfied: true,
        });
        Ok((user, actor))
    }

    pub async fn revoke_token(&self, ctx: &Ctx, token_id: &str) -> CoreResult<()> {
        let t = self.store.find_token(token_id).await?.ok_or(CoreError::NotFound)?;
        let is_self = ctx.user().map(|u| u.user_id == t.user_id).unwrap_or(false);
        if !is_self && !matches!(ctx.actor, Some(Actor::System)) {
            self.authorize(ctx, Action::UpdateUser, Relation::Unrelated, "api_token", token_id).await?;
        }
        let ev = ctx.event(self.now(), "revoke_token", "ok", "api_token", token_id);
        let seq = self.store.revoke_token(token_id, self.now(), &ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok(())
    }
}
