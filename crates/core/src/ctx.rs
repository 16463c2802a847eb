//! The request context: who acts, from where, under which operation id.
//!
//! Every use case takes a `Ctx`. It is how audit events learn their actor, client address and
//! operation id without handlers having to pass them one by one.

use amparo_domain::audit::AuditEvent;
use amparo_domain::policy::{Actor, UserActor};
use amparo_domain::{OrgId, Timestamp};

#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: Option<Actor>,
    pub client_ip: String,
    pub operation_id: String,
}

impl Ctx {
    pub fn anonymous(client_ip: &str, operation_id: &str) -> Self {
        Self { actor: None, client_ip: client_ip.to_owned(), operation_id: operation_id.to_owned() }
    }
    pub fn system(operation_id: &str) -> Self {
        Self { actor: Some(Actor::System), client_ip: "console".into(), operation_id: operation_id.to_owned() }
    }
    pub fn user(&self) -> Option<&UserActor> {
        match &self.actor {
            Some(Actor::User(u)) => Some(u),
            _ => None,
        }
    }
    pub fn org_id(&self) -> Option<&OrgId> {
        self.user().map(|u| &u.org_id)
    }

    /// An audit event for this context. `details` must never contain personal data.
    pub fn event(&self, now: Timestamp, action: &str, outcome: &str, record_type: &str, record_id: &str) -> AuditEvent {
        let (actor, actor_org, actor_roles) = match &self.actor {
            Some(Actor::User(u)) => {
                (u.user_id.to_string(), u.org_id.to_string(), u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","))
            }
            Some(Actor::System) => ("system".into(), String::new(), "system".into()),
            None => (String::new(), String::new(), String::new()),
        };
        AuditEvent {
            occurred_at: now,
            actor,
            actor_org,
            actor_roles,
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            record_type: record_type.to_owned(),
            record_id: record_id.to_owned(),
            purpose: String::new(),
            client_ip: self.client_ip.clone(),
            operation_id: self.operation_id.clone(),
            details: String::new(),
        }
    }
}
