//! Geography: loading the shipped reference data and importing another country's areas.

use super::System;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::geo_data;
use amparo_domain::geo::{Area, Country};
use amparo_domain::policy::{Action, Relation};
use std::collections::HashSet;

impl System {
    /// Install the reference data shipped with Amparo (geography, statutes and the built-in
    /// screening instrument) where missing. Idempotent; run at start-up.
    pub async fn ensure_reference_data(&self, ctx: &Ctx) -> CoreResult<()> {
        self.ensure_reference_geography(ctx).await?;
        self.prosecution().ensure_statutes(ctx).await?;
        self.identification().ensure_builtin_instrument(ctx).await
    }

    /// Load the shipped countries and Peru's UBIGEO if they are not there yet. Idempotent.
    pub async fn ensure_reference_geography(&self, ctx: &Ctx) -> CoreResult<()> {
        let have = self.store.count_areas("PE").await?;
        let total: i64 = have.iter().map(|(_, n)| n).sum();
        if total >= 2114 && !self.store.list_countries().await?.is_empty() {
            return Ok(());
        }
        let ev = ctx.event(self.now(), "load_reference_geography", "ok", "geography", "PE");
        self.store.upsert_countries(&geo_data::countries(), &ev).await?;
        let ev = ctx.event(self.now(), "import_areas", "ok", "geography", "PE");
        self.store.upsert_areas(&geo_data::peru_areas(), &ev).await?;
        Ok(())
    }

    /// Import areas from CSV (`country,level,code,parent,name`). All or nothing: a file with
    /// any bad row changes nothing and reports every bad row.
    pub async fn import_areas(&self, ctx: &Ctx, csv_bytes: &[u8]) -> CoreResult<usize> {
        self.authorize(ctx, Action::ManageSystem, Relation::OwnOrgScope, "geography", "").await?;
        let areas = geo_data::parse_areas(csv_bytes).map_err(|rows| {
            let mut e = amparo_domain::FieldErrors::new();
            for r in rows {
                for f in r.errors.0 {
                    e.add(&format!("line {} {}", r.line, f.field), &f.code);
                }
            }
            CoreError::Validation(e)
        })?;
        let in_file: HashSet<&str> = areas.iter().map(|a| a.code.as_str()).collect();
        let mut e = amparo_domain::FieldErrors::new();
        for (i, a) in areas.iter().enumerate() {
            if let Some(p) = &a.parent_code
                && !in_file.contains(p.as_str())
                && self.store.get_area(p).await?.is_none()
            {
                e.add(&format!("line {} parent", i + 2), "unknown_parent");
            }
        }
        e.into_result()?;
        let country = areas.first().map(|a| a.country.clone()).unwrap_or_default();
        let ev = ctx.event(self.now(), "import_areas", "ok", "geography", &country);
        self.store.upsert_areas(&areas, &ev).await?;
        Ok(areas.len())
    }

    pub async fn list_areas(&self, ctx: &Ctx, country: &str, parent: Option<&str>) -> CoreResult<Vec<Area>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "geography", "").await?;
        Ok(self.store.list_areas(country, parent).await?)
    }

    /// First-level areas for the anonymous public form: public reference data, no login.
    pub async fn public_areas(&self, country: &str) -> CoreResult<Vec<Area>> {
        Ok(self.store.list_areas(country, None).await?)
    }

    pub async fn get_area(&self, code: &str) -> CoreResult<Option<Area>> {
        Ok(self.store.get_area(code).await?)
    }

    pub async fn list_countries(&self, ctx: &Ctx) -> CoreResult<Vec<Country>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "geography", "").await?;
        Ok(self.store.list_countries().await?)
    }

    pub async fn area_counts(&self, country: &str) -> CoreResult<Vec<(i64, i64)>> {
        Ok(self.store.count_areas(country).await?)
    }
}
