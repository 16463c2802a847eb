//! The country profile: what differs between countries as data (`data/profiles/*.toml`).
//! Peru's is built in and is the default; `AMPARO_PROFILE_FILE` names another. Today it says
//! the country, its time zone and which roles each kind of organisation may hold beyond the
//! defaults (`amparo_domain::grant::RoleFit`).

use amparo_domain::Role;
use amparo_domain::grant::RoleFit;
use amparo_domain::org::OrgKind;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const BUILTIN_PROFILE: &str = include_str!("../../../data/profiles/pe.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    country: String,
    time_zone: String,
    #[serde(default)]
    roles_by_org_kind: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct CountryProfile {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// IANA time zone name.
    pub time_zone: String,
    pub role_fit: RoleFit,
}

impl CountryProfile {
    /// Parse a profile; unknown kinds, roles or keys are errors naming them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let f: ProfileFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut extra: BTreeMap<OrgKind, Vec<Role>> = BTreeMap::new();
        for (k, roles) in &f.roles_by_org_kind {
            let kind = OrgKind::parse(k).ok_or_else(|| format!("roles_by_org_kind: unknown organisation kind {k:?}"))?;
            for r in roles {
                let role = Role::parse(r).ok_or_else(|| format!("roles_by_org_kind.{k}: unknown role {r:?}"))?;
                extra.entry(kind).or_default().push(role);
            }
        }
        if f.country.len() != 2 {
            return Err(format!("country: {:?} is not an ISO 3166 alpha-2 code", f.country));
        }
        Ok(Self { country: f.country, time_zone: f.time_zone, role_fit: RoleFit::widened(&extra) })
    }

    /// The built-in default (Peru).
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_PROFILE).unwrap_or_else(|_| Self {
            country: "PE".into(),
            time_zone: "America/Lima".into(),
            role_fit: RoleFit::default(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_profile_parses_and_profiles_widen_by_name() {
        let p = CountryProfile::parse(BUILTIN_PROFILE).unwrap();
        assert_eq!((p.country.as_str(), p.time_zone.as_str()), ("PE", "America/Lima"));
        assert_eq!(p.role_fit, RoleFit::default());
        let wide = CountryProfile::parse(
            "country = \"CO\"\ntime_zone = \"America/Bogota\"\n[roles_by_org_kind]\npolice_unit = [\"case_worker\"]\n",
        )
        .unwrap();
        assert!(wide.role_fit.fits(OrgKind::PoliceUnit, Role::CaseWorker));
        let bad = CountryProfile::parse("country = \"CO\"\ntime_zone = \"x\"\n[roles_by_org_kind]\npolicia = [\"case_worker\"]\n");
        assert!(bad.unwrap_err().contains("policia"));
        assert!(
            CountryProfile::parse("country = \"CO\"\ntime_zone = \"x\"\n[roles_by_org_kind]\nngo = [\"sheriff\"]\n")
                .unwrap_err()
                .contains("sheriff")
        );
    }
}
