//! Who may give which role to whom — the rule that keeps an organisation's administrator from
//! minting national roles. Two parts, both data-driven and pure:
//!
//! - **Which roles each kind of organisation may hold** ([`RoleFit`]): a police unit holds
//!   investigators, a shelter shelter staff, a coordinating body coordinators and analysts.
//!   The defaults are below; a country widens them in its profile
//!   (`data/profiles/*.toml`, `[roles_by_org_kind]`). An organisation admin fits anywhere.
//! - **Who may grant** ([`may_grant`]): roles with national reach (coordinator, analyst) only
//!   a system administrator, or an administrator of a coordinating body inside that body;
//!   the system administrator role only a system administrator; any other role an
//!   organisation admin in their own organisation or one below it (the policy's relation
//!   decides that part). Whoever grants, the role must fit the organisation's kind; only the
//!   operator's console may override that, explicitly (and audited by the caller).

use crate::org::OrgKind;
use crate::role::Role;
use std::collections::{BTreeMap, BTreeSet};

/// Which roles each kind of organisation may hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleFit {
    by_kind: BTreeMap<OrgKind, BTreeSet<Role>>,
}

impl Default for RoleFit {
    /// The defaults (DOMAIN.md's agencies): each operational role in its own kind of
    /// organisation, case workers in NGOs, shelters and ministries, the national roles in
    /// coordinating bodies and ministries, administrators anywhere.
    fn default() -> Self {
        use OrgKind as K;
        use Role as R;
        let mut by_kind: BTreeMap<OrgKind, BTreeSet<Role>> = OrgKind::ALL.iter().map(|k| (*k, BTreeSet::from([R::OrgAdmin]))).collect();
        let mut add = |k: OrgKind, roles: &[Role]| by_kind.entry(k).or_default().extend(roles.iter().copied());
        add(K::PoliceUnit, &[R::Investigator]);
        add(K::ProsecutorOffice, &[R::Prosecutor]);
        add(K::LabourInspectorate, &[R::LabourInspector]);
        add(K::Shelter, &[R::ShelterStaff, R::CaseWorker]);
        add(K::Ngo, &[R::CaseWorker]);
        add(K::Ministry, &[R::CaseWorker, R::Coordinator, R::Analyst, R::SystemAdmin]);
        add(K::CoordinatingBody, &[R::Coordinator, R::Analyst, R::SystemAdmin]);
        add(K::Hotline, &[R::HotlineOperator]);
        Self { by_kind }
    }
}

impl RoleFit {
    /// The defaults widened by a profile's extra roles per kind (a profile can only add).
    pub fn widened(extra: &BTreeMap<OrgKind, Vec<Role>>) -> Self {
        let mut f = Self::default();
        for (k, roles) in extra {
            f.by_kind.entry(*k).or_default().extend(roles.iter().copied());
        }
        f
    }

    pub fn fits(&self, kind: OrgKind, role: Role) -> bool {
        self.by_kind.get(&kind).is_some_and(|r| r.contains(&role))
    }

    /// The roles an organisation of `kind` may hold, in `Role::ALL` order.
    pub fn roles_for(&self, kind: OrgKind) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| self.fits(kind, *r)).collect()
    }

    /// Roles a user holds that their organisation's kind may not (accounts made before the
    /// rule, or by an override).
    pub fn misfits(&self, kind: OrgKind, roles: &[Role]) -> Vec<Role> {
        roles.iter().copied().filter(|r| !self.fits(kind, *r)).collect()
    }
}

/// Roles whose work spans the whole country.
pub fn is_national(role: Role) -> bool {
    matches!(role, Role::Coordinator | Role::Analyst)
}

/// Who is granting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granter {
    /// The operator's console (`amparo user add`).
    Console,
    /// A signed-in user: their roles and the kind of their own organisation, and whether the
    /// target organisation is their own or below it.
    User { is_system_admin: bool, is_org_admin: bool, own_kind: OrgKind, within_own: bool },
}

/// Why a grant is refused (the field error code on `roles`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantRefusal {
    /// Only a system administrator grants this role (system administrator; a national role
    /// outside a coordinating body).
    NotAllowedToGrant,
    /// The organisation's kind may not hold this role.
    RoleDoesNotFitOrganisation,
}

impl GrantRefusal {
    pub fn code(self) -> &'static str {
        match self {
            GrantRefusal::NotAllowedToGrant => "not_allowed_to_grant",
            GrantRefusal::RoleDoesNotFitOrganisation => "role_does_not_fit_organisation",
        }
    }
}

/// May `granter` give `role` to an account of an organisation of `target_kind`?
/// `override_fit` skips the kind check, and only for the console.
pub fn may_grant(granter: Granter, role: Role, target_kind: OrgKind, fit: &RoleFit, override_fit: bool) -> Result<(), GrantRefusal> {
    let fits = fit.fits(target_kind, role) || (override_fit && granter == Granter::Console);
    match granter {
        Granter::Console => {}
        Granter::User { is_system_admin: true, .. } => {}
        Granter::User { is_org_admin, own_kind, within_own, .. } => {
            if !is_org_admin || !within_own || role == Role::SystemAdmin {
                return Err(GrantRefusal::NotAllowedToGrant);
            }
            if is_national(role) && own_kind != OrgKind::CoordinatingBody {
                return Err(GrantRefusal::NotAllowedToGrant);
            }
        }
    }
    if fits { Ok(()) } else { Err(GrantRefusal::RoleDoesNotFitOrganisation) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn admin(own_kind: OrgKind, within_own: bool) -> Granter {
        Granter::User { is_system_admin: false, is_org_admin: true, own_kind, within_own }
    }

    /// The whole table: every granter × relation × role × organisation kind, against the rule
    /// written out independently here.
    #[test]
    fn every_granter_relation_role_and_kind() {
        let fit = RoleFit::default();
        let mut granters = vec![Granter::Console];
        for sys in [false, true] {
            for org_admin in [false, true] {
                for own in OrgKind::ALL {
                    for within in [false, true] {
                        granters.push(Granter::User { is_system_admin: sys, is_org_admin: org_admin, own_kind: own, within_own: within });
                    }
                }
            }
        }
        let mut checked = 0;
        for g in &granters {
            for role in Role::ALL {
                for kind in OrgKind::ALL {
                    for override_fit in [false, true] {
                        let fits = fit.fits(kind, role);
                        let expected = match *g {
                            Granter::Console => fits || override_fit,
                            Granter::User { is_system_admin: true, .. } => fits,
                            Granter::User { is_org_admin: false, .. } => false,
                            Granter::User { within_own: false, .. } => false,
                            Granter::User { own_kind, .. } => {
                                role != Role::SystemAdmin
                                    && (!matches!(role, Role::Coordinator | Role::Analyst) || own_kind == OrgKind::CoordinatingBody)
                                    && fits
                            }
                        };
                        assert_eq!(
                            may_grant(*g, role, kind, &fit, override_fit).is_ok(),
                            expected,
                            "{g:?} {role:?} {kind:?} {override_fit}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, granters.len() * 10 * 9 * 2);
    }

    #[test]
    fn a_police_admin_cannot_mint_national_or_misfit_roles() {
        let fit = RoleFit::default();
        let police = admin(OrgKind::PoliceUnit, true);
        for role in [Role::Coordinator, Role::Analyst, Role::SystemAdmin] {
            assert_eq!(may_grant(police, role, OrgKind::PoliceUnit, &fit, false), Err(GrantRefusal::NotAllowedToGrant), "{role:?}");
        }
        for role in [Role::Prosecutor, Role::ShelterStaff, Role::LabourInspector, Role::HotlineOperator, Role::CaseWorker] {
            assert_eq!(
                may_grant(police, role, OrgKind::PoliceUnit, &fit, false),
                Err(GrantRefusal::RoleDoesNotFitOrganisation),
                "{role:?}"
            );
        }
        assert!(may_grant(police, Role::Investigator, OrgKind::PoliceUnit, &fit, false).is_ok());
        assert!(may_grant(police, Role::OrgAdmin, OrgKind::PoliceUnit, &fit, false).is_ok());
        // An override is the console's alone.
        assert!(may_grant(police, Role::Prosecutor, OrgKind::PoliceUnit, &fit, true).is_err());
        assert!(may_grant(Granter::Console, Role::Prosecutor, OrgKind::PoliceUnit, &fit, true).is_ok());
    }

    #[test]
    fn a_coordinating_body_admin_grants_national_roles_inside_it_only() {
        let fit = RoleFit::default();
        assert!(may_grant(admin(OrgKind::CoordinatingBody, true), Role::Analyst, OrgKind::CoordinatingBody, &fit, false).is_ok());
        assert!(may_grant(admin(OrgKind::CoordinatingBody, false), Role::Analyst, OrgKind::CoordinatingBody, &fit, false).is_err());
        assert!(may_grant(admin(OrgKind::Ministry, true), Role::Coordinator, OrgKind::Ministry, &fit, false).is_err());
    }

    #[test]
    fn roles_for_a_kind_and_refusal_codes() {
        let f = RoleFit::default();
        assert_eq!(f.roles_for(OrgKind::PoliceUnit), vec![Role::Investigator, Role::OrgAdmin]);
        assert_eq!(f.roles_for(OrgKind::Court), vec![Role::OrgAdmin]);
        assert_eq!(GrantRefusal::NotAllowedToGrant.code(), "not_allowed_to_grant");
        assert_eq!(GrantRefusal::RoleDoesNotFitOrganisation.code(), "role_does_not_fit_organisation");
    }

    #[test]
    fn a_profile_only_widens() {
        let extra = BTreeMap::from([(OrgKind::PoliceUnit, vec![Role::CaseWorker])]);
        let f = RoleFit::widened(&extra);
        assert!(f.fits(OrgKind::PoliceUnit, Role::CaseWorker));
        assert!(f.fits(OrgKind::PoliceUnit, Role::Investigator));
        assert_eq!(RoleFit::default().misfits(OrgKind::Court, &[Role::OrgAdmin, Role::Prosecutor]), vec![Role::Prosecutor]);
    }
}
