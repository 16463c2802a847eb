//! Property tests: every parser of outside input returns an error instead of panicking, on
//! any input. (The HTTP layer is exercised with random bodies too.)

use amparo_core::crypto::keyring::Keyring;
use amparo_core::crypto::{field, totp};
use amparo_core::geo_data::parse_areas;
use amparo_demo::DemoExt;
use amparo_domain::org::OrgInput;
use amparo_domain::person::PersonInput;
use amparo_domain::user::UserInput;
use amparo_web::i18n::Lang;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::fuzz::cases(256), ..ProptestConfig::default() })]

    #[test]
    fn form_inputs_never_panic(a in ".{0,300}", b in ".{0,50}", c in ".{0,50}", d in ".{0,40}", roles in proptest::collection::vec(".{0,20}", 0..4)) {
        let _ = OrgInput { name: a.clone(), kind: b.clone(), jurisdiction: c.clone(), parent_id: Some(d.clone()) }.validate();
        let _ = UserInput { email: a.clone(), display_name: b.clone(), org_id: c.clone(), roles, password: d.clone(), locale: Some(b.clone()) }.validate();
        let p = PersonInput { role: b.clone(), sex: c.clone(), approx_age: d.clone(), given_names: a.clone(), narrative: a, ..Default::default() }.validate();
        if let Ok(p) = p {
            prop_assert!(p.approx_age.map(|x| (0..=120).contains(&x)).unwrap_or(true));
        }
    }

    #[test]
    fn key_files_never_panic(text in "(v[0-9]{1,3} [A-Za-z0-9+/=]{0,60}\n|#.*\n|.{0,40}\n){0,5}") {
        let _ = Keyring::parse("p", &text);
    }

    #[test]
    fn ciphertexts_from_anywhere_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let ring = Keyring::from_keys(vec![(1, [3; 32])]).unwrap();
        prop_assert!(field::open(&ring, "persons", "given_names", "x", &bytes).is_err());
    }

    #[test]
    fn area_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_areas(&bytes);
    }

    #[test]
    fn area_rows_never_panic(country in ".{0,4}", level in ".{0,3}", code in ".{0,12}", parent in ".{0,8}", name in ".{0,30}") {
        let csv = format!("country,level,code,parent,name\n{country},{level},{code},{parent},{name}\n");
        let _ = parse_areas(csv.as_bytes());
    }

    #[test]
    fn accept_language_never_panics(h in ".{0,100}") {
        let _ = Lang::from_accept_language(&h);
    }

    #[test]
    fn totp_codes_never_panic(code in ".{0,12}", now in any::<i64>()) {
        let _ = totp::matching_step(&[1u8; 20], &code, now / 4);
    }
}

#[tokio::test]
async fn random_request_bodies_never_cause_a_server_error() {
    use crate::helpers::*;
    let t = spawn_app().await;
    t.app.demo().load_demo(&amparo_core::Ctx::system("t")).await.unwrap();
    let tok = t.app.access().create_token(&amparo_core::Ctx::system("t"), "investigador@demo.amparo.pe", "t", 1).await.unwrap().0;
    let (b, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let (admin, r) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(r.status(), 303);
    let admin_tok = token(&t, "admin@demo.amparo.pe").await;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 48, ..ProptestConfig::default() });
    let strategy = (proptest::collection::vec(any::<u8>(), 0..600), ".{0,200}");
    for _ in 0..48 {
        let (bytes, text) = strategy.new_tree(&mut runner).unwrap().current();
        for path in ["/api/v1/persons", "/api/v1/organisations", "/api/v1/users"] {
            let r =
                b.c.post(format!("{}{}", t.base, path))
                    .bearer_auth(&tok)
                    .header("content-type", "application/json")
                    .body(bytes.clone())
                    .send()
                    .await
                    .unwrap();
            assert!(r.status().as_u16() < 500, "{path} answered {}", r.status());
        }
        let r = b.post("/persons", &[("role", &text), ("approx_age", &text), ("given_names", &text)]).await;
        assert!(r.status().as_u16() < 500);
        // As the system administrator, who may read the trail, on the routes that read these
        // parameters.
        let q: String = text.bytes().map(|c| format!("%{c:02X}")).collect();
        let r = admin
            .c
            .get(format!("{}/audit?from={q}&to={q}&before_seq={q}&action={q}", t.base))
            .header("cookie", &admin.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the viewer answers with the page, ignoring what it cannot read");
        let r = b.c.get(format!("{}/api/v1/audit?limit={q}&since={q}&until={q}", t.base)).bearer_auth(&admin_tok).send().await.unwrap();
        assert!(matches!(r.status().as_u16(), 200 | 400), "{}", r.status());
    }
}
