//! API bearer tokens: `amp_<id>_<secret>`. Only the SHA-256 of the secret is stored; tokens
//! expire and can be revoked. A token acts as its user, with that user's roles.

use super::Access;
use crate::crypto::{ct_eq, sha256_hex};
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::TokenRecord;
use amparo_domain::policy::{Action, Actor, Relation, UserActor};
use amparo_domain::user::User;

const MAX_DAYS: i64 = 366;

impl Access {
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
        match self.resolve_token(bearer).await? {
            Ok(found) => Ok(found),
            Err(_) => Err(CoreError::Unauthenticated),
        }
    }

    /// Resolve the bearer token of an API request. A refusal is recorded in the audit trail
    /// (bounded per source, `refusals.rs`) and is plain `Unauthenticated` to the caller.
    pub async fn authenticate_request(
        &self,
        client_ip: &str,
        operation_id: &str,
        method: &str,
        path: &str,
        bearer: &str,
    ) -> CoreResult<(User, Actor)> {
        match self.resolve_token(bearer).await? {
            Ok(found) => Ok(found),
            Err((reason, token)) => {
                let owner_org = match &token {
                    Some(t) => self.store.get_user(&t.user_id).await?.map(|u| u.user.org_id.to_string()),
                    None => None,
                };
                let r = crate::usecases::refusals::Refusal {
                    reason,
                    method,
                    path,
                    token_id: token.as_ref().map(|t| t.id.as_str()),
                    token_owner_org: owner_org.as_deref(),
                };
                if let Err(e) = self.record_refusal(client_ip, operation_id, &r).await {
                    tracing::warn!(error = %e, "could not record a refused token");
                }
                Err(CoreError::Unauthenticated)
            }
        }
    }

    /// The token's user, or why it is refused (with the token record when one exists).
    async fn resolve_token(
        &self,
        bearer: &str,
    ) -> CoreResult<Result<(User, Actor), (crate::usecases::refusals::RefusalReason, Option<crate::store::TokenRecord>)>> {
        use crate::usecases::refusals::RefusalReason as R;
        let Some((id, secret)) = bearer.strip_prefix("amp_").and_then(|rest| rest.split_once('_')) else {
            return Ok(Err((R::MalformedToken, None)));
        };
        if id.len() > 64 || secret.len() > 128 || id.is_empty() {
            return Ok(Err((R::MalformedToken, None)));
        }
        let Some(t) = self.store.find_token(id).await? else { return Ok(Err((R::UnknownToken, None))) };
        if !ct_eq(t.secret_hash.as_bytes(), sha256_hex(secret.as_bytes()).as_bytes()) {
            return Ok(Err((R::BadTokenSecret, Some(t))));
        }
        if t.revoked_at.is_some() {
            return Ok(Err((R::RevokedToken, Some(t))));
        }
        if t.expires_at <= self.now() {
            return Ok(Err((R::ExpiredToken, Some(t))));
        }
        let Some(user) = self.store.get_user(&t.user_id).await? else { return Ok(Err((R::UnknownToken, Some(t)))) };
        let user = user.user;
        if user.disabled {
            return Ok(Err((R::AccountDisabled, Some(t))));
        }
        // A token stands in for a signed-in session: an account that must use two-factor and
        // has never enrolled has no second factor behind it, so its tokens do not work.
        if user.requires_mfa() && !user.mfa_enrolled {
            return Ok(Err((R::SecondFactorNotEnrolled, Some(t))));
        }
        let actor = Actor::User(UserActor {
            user_id: user.id.clone(),
            org_id: user.org_id.clone(),
            roles: user.roles.clone(),
            // A token is issued to a user who passed two-factor, or by the operator.
            mfa_satisfied: true,
        });
        Ok(Ok((user, actor)))
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
