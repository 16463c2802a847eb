//! The prevention register: awareness campaigns (where, when, audience, reach) and trainings
//! (audience: police, prosecutors, judges, labour inspectors, other; number trained). The
//! seed's recommendations count both, so the statistics pillar will too.

use super::Protection;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::rows::prevention::Prevention;
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, RowFilter};
use amparo_domain::cases::{Audience, PreventionKind};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{date_field, days_from_civil};
use amparo_domain::validation::{FieldErrors, required_text};
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct PreventionInput {
    #[serde(default)]
    #[schemars(with = "amparo_domain::cases::PreventionKind")]
    pub kind: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub title: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub place: String,
    #[serde(default)]
    #[schemars(with = "amparo_domain::cases::Audience")]
    pub audience: String,
    /// People reached (campaign) or trained (training).
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::number_text")]
    pub people: String,
}

pub use crate::rows::prevention::PreventionView;

impl Protection {
    pub async fn record_prevention(&self, ctx: &Ctx, input: &PreventionInput) -> CoreResult<PreventionView> {
        let mut e = FieldErrors::new();
        let kind = PreventionKind::parse(input.kind.trim());
        if kind.is_none() {
            e.add("kind", "invalid_choice");
        }
        let audience = Audience::parse(input.audience.trim());
        if audience.is_none() {
            e.add("audience", "invalid_choice");
        }
        let title = required_text(&mut e, "title", &input.title, 300);
        let date = date_field(&mut e, "date", &input.date, &self.today());
        let people = match input.people.trim().parse::<i64>() {
            Ok(n @ 0..=100_000_000) => n,
            _ => {
                e.add("people", "invalid_number");
                0
            }
        };
        let place = input.place.trim().to_owned();
        if place.is_empty() {
            e.add("place", "required");
        }
        e.into_result()?;
        self.scope().place_chain(&place).await.map_err(|_| CoreError::field("place", "unknown_area"))?;
        self.authorize(ctx, Action::RecordPrevention, Relation::OwnOrgScope, "prevention", "").await?;
        let (Some(kind), Some(audience), Some(date)) = (kind, audience, date) else {
            return Err(CoreError::field("kind", "invalid_choice"));
        };
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let v = PreventionView {
            id: id.clone(),
            org_id: me.org_id.to_string(),
            kind,
            title,
            date: date.clone(),
            place: place.clone(),
            audience,
            people,
        };
        let entry = Prevention {
            org_id: me.org_id.clone(),
            held_at: days_from_civil(&date).map(|d| d * 86_400),
            entry: v.clone(),
            stamp: Stamp::new(self.now(), me.user_id.as_str()),
        };
        self.commit(
            &Batch { inserts: vec![rows::entry(&entry)?], updates: vec![] },
            &ctx.event(self.now(), "record_prevention", "ok", "prevention", &id),
        )
        .await?;
        Ok(v)
    }

    /// The register is public within Amparo: it holds no personal data.
    /// A page of the register (national: every organisation's campaigns and trainings),
    /// newest first, filtered by date and place.
    pub async fn prevention_page(
        &self,
        ctx: &Ctx,
        q: &amparo_domain::paging::ListParams,
    ) -> CoreResult<crate::paging::Page<PreventionView>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "prevention", "").await?;
        let page = self.page_request(ctx, "prevention", q.limit.as_deref(), q.cursor.as_deref())?;
        let filter = q.filter(&[]).map_err(CoreError::Validation)?;
        let scanned = self.scan_rows(Prevention::TABLE, RowFilter::default(), &filter, &page).await?;
        let seen = crate::paging::scanned(scanned, page.limit, crate::paging::row_key);
        let items = rows::typed::<Prevention>(seen.rows)?.into_iter().map(|p| p.entry).collect();
        Ok(self.page_of(ctx, "prevention", items, seen.next))
    }

    pub async fn list_prevention(&self, ctx: &Ctx) -> CoreResult<Vec<PreventionView>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "prevention", "").await?;
        let found = rows::find::<Prevention>(&*self.store, &RowFilter { limit: Some(1000), ..Default::default() }).await?;
        Ok(found.into_iter().map(|p| p.entry).collect())
    }
}
