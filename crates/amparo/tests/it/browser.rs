//! Browser tests: the real UI in headless Debian Chromium through chromedriver. Without a
//! browser they print one "skipped" line, or fail when AMPARO_REQUIRE_BROWSER=1.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::ports::*;
use amparo_demo::DemoExt;
use amparo_domain::user::UserInput;
use amparo_testkit::{free_port, require};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

struct Driver {
    child: Child,
    pub wd: WebDriver,
    _profile: amparo_testkit::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium outlives a killed chromedriver for a moment and would write into its
        // profile after the directory is deleted: stop it first, so no run leaves a profile.
        let flag = format!("--user-data-dir={}", self._profile.path().display());
        let _ = Command::new("pkill").args(["-KILL", "-f", "--", &flag]).status();
        for _ in 0..50 {
            let alive = Command::new("pgrep").args(["-f", "--", &flag]).output().map(|o| !o.stdout.is_empty()).unwrap_or(false);
            if !alive {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn exists(p: &str) -> bool {
    std::path::Path::new(p).exists()
}

async fn browser() -> Option<Driver> {
    let (chrome, driver) = ("/usr/bin/chromium", "/usr/bin/chromedriver");
    if !require(exists(chrome) && exists(driver), "AMPARO_REQUIRE_BROWSER", "headless Chromium (apt-get install chromium chromium-driver)")
    {
        return None;
    }
    let port = free_port();
    let child = Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = amparo_testkit::TempDir::new("chrome");
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(chrome).unwrap();
    for a in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        "--lang=es-PE",
    ] {
        caps.add_arg(a).unwrap();
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).unwrap();
    // Spanish first, as a Peruvian user's browser would ask.
    caps.add_experimental_option("prefs", serde_json::json!({ "intl.accept_languages": "es-PE,es" })).unwrap();
    let wd = WebDriver::new(&format!("http://127.0.0.1:{port}"), caps).await.unwrap();
    Some(Driver { child, wd, _profile: profile })
}

async fn sign_in(wd: &WebDriver, base: &str, email: &str, pw: &str) {
    wd.goto(format!("{base}/login")).await.unwrap();
    wd.find(By::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    wd.find(By::Id("password")).await.unwrap().send_keys(pw).await.unwrap();
    wd.find(By::Id("login-submit")).await.unwrap().click().await.unwrap();
    // Wait for the answer: either we left the login page, or it shows an error.
    for _ in 0..100 {
        let on_login = wd.current_url().await.map(|u| u.as_str().ends_with("/login")).unwrap_or(true);
        if !on_login || wd.find(By::Id("login-error")).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With AMPARO_SCREENSHOTS=DIR set, save a PNG of the page (for looking at the UI).
async fn shot(wd: &WebDriver, name: &str) {
    if let Ok(dir) = std::env::var("AMPARO_SCREENSHOTS") {
        let _ = std::fs::create_dir_all(&dir);
        let _ = wd.screenshot(&std::path::Path::new(&dir).join(format!("{name}.png"))).await;
    }
}

/// Find an element by id, or fail showing where the browser is and what it shows.
async fn by_id(wd: &WebDriver, id: &str) -> WebElement {
    // `find` does not wait; pages after a form submission may still be loading.
    for _ in 0..50 {
        if let Ok(e) = wd.find(By::Id(id)).await {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    match wd.find(By::Id(id)).await {
        Ok(e) => e,
        Err(err) => {
            let url = wd.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let src = wd.source().await.unwrap_or_default();
            let body = src.find("<main").map(|i| &src[i..]).unwrap_or(&src);
            panic!("#{id} not found ({err}) at {url}:\n{}", body.chars().take(1500).collect::<String>());
        }
    }
}

/// Wait (up to 10 s) until the browser has navigated to a URL ending with `suffix`: a click
/// that submits a form returns before the next page has loaded.
async fn wait_for_url(wd: &WebDriver, suffix: &str) {
    for _ in 0..100 {
        if wd.current_url().await.map(|u| u.as_str().ends_with(suffix)).unwrap_or(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached a URL ending with {suffix}; at {:?}", wd.current_url().await.map(|u| u.to_string()));
}

/// Wait (up to 10 s) until element `id` shows text satisfying `ok`; returns that text. For
/// elements that already exist, with other text, on the page before a submission.
async fn wait_text(wd: &WebDriver, id: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = wd.find(By::Id(id)).await {
            last = e.text().await.unwrap_or_default();
            if ok(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never showed the expected text; last seen: {last:?}");
}

async fn text_of(wd: &WebDriver, id: &str) -> String {
    // An element found just before a navigation goes stale; find it again.
    for _ in 0..50 {
        if let Ok(t) = by_id(wd, id).await.text().await {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    by_id(wd, id).await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_login_language_switch_and_a_refused_access() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    wd.goto(format!("{}/login", t.base)).await.unwrap();
    shot(wd, "01-login").await;
    sign_in(wd, &t.base, "analista@demo.amparo.pe", "wrong password!!").await;
    let err = text_of(wd, "login-error").await;
    assert!(err.contains("incorrectos"), "{err}");
    sign_in(wd, &t.base, "analista@demo.amparo.pe", DEMO_PW).await;
    assert!(text_of(wd, "welcome").await.starts_with("Bienvenida/o"));
    assert!(wd.find(By::Id("demo-banner")).await.is_ok(), "demo accounts carry the banner");
    // Switch to English; it sticks across pages.
    by_id(wd, "lang-switch").await.click().await.unwrap();
    wait_text(wd, "welcome", |t| t.starts_with("Welcome")).await;
    shot(wd, "02-dashboard-analyst-en").await;
    wd.goto(format!("{}/orgs", t.base)).await.unwrap();
    assert!(wd.source().await.unwrap().contains("Organisations"));
    // The analyst may not read the audit trail or persons.
    wd.goto(format!("{}/audit", t.base)).await.unwrap();
    assert!(text_of(wd, "error-message").await.contains("not allowed"));
    assert!(!text_of(wd, "operation-id").await.is_empty());
    shot(wd, "03-refused-audit-analyst").await;
    wd.goto(format!("{}/persons", t.base)).await.unwrap();
    assert!(text_of(wd, "error-message").await.contains("not allowed"));
    // And the menu does not offer them.
    wd.goto(format!("{}/", t.base)).await.unwrap();
    assert!(wd.find(By::Css("a[href='/audit']")).await.is_err());
    by_id(wd, "logout").await.click().await.unwrap();
    wait_for_url(wd, "/login").await;
    d.wd.clone().quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_two_factor_enrolment() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let org = t
        .store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind.as_str() == "prosecutor_office" && o.jurisdiction == "PE-08")
        .unwrap();
    t.app
        .administration()
        .create_user(
            &Ctx::system("t"),
            &UserInput {
                email: "fiscal.cusco@mp.gob.pe".into(),
                display_name: "Fiscal Cusco".into(),
                org_id: org.id.to_string(),
                roles: vec!["prosecutor".into()],
                password: "fiscalía-cusco-2026".into(),
                locale: None,
            },
        )
        .await
        .unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "fiscal.cusco@mp.gob.pe", "fiscalía-cusco-2026").await;
    wait_for_url(wd, "/mfa/enrol").await;
    assert!(wd.find(By::Css(".qr svg")).await.is_ok(), "QR code shown");
    shot(wd, "04-mfa-enrol").await;
    let secret = text_of(wd, "totp-secret").await;
    let bytes = totp_rs::Secret::Encoded(secret).to_bytes().unwrap();
    let bytes_again = bytes.clone();
    let code = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap().generate(NOW as u64);
    by_id(wd, "code").await.send_keys(&code).await.unwrap();
    wd.find(By::Id("enrol-submit")).await.unwrap().click().await.unwrap();
    let codes = by_id(wd, "recovery-codes").await.find_all(By::Tag("li")).await.unwrap();
    assert_eq!(codes.len(), 10);
    shot(wd, "05-recovery-codes").await;
    by_id(wd, "recovery-continue").await.click().await.unwrap();
    assert!(text_of(wd, "welcome").await.contains("Fiscal Cusco"));
    assert!(wd.find(By::Id("demo-banner")).await.is_err(), "real accounts get no demo banner");
    // The next sign-in asks for a code: a wrong one is refused, the authenticator's passes.
    sign_out(wd).await;
    t.clock.advance(60);
    sign_in(wd, &t.base, "fiscal.cusco@mp.gob.pe", "fiscalía-cusco-2026").await;
    wait_for_url(wd, "/mfa").await;
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes_again, None, "x".into()).unwrap();
    let wrong = if totp.generate(NOW as u64 + 60) == "000000" { "111111" } else { "000000" };
    by_id(wd, "code").await.send_keys(wrong).await.unwrap();
    click(wd, "mfa-submit").await;
    by_id(wd, "mfa-error").await;
    assert!(wd.find(By::Id("welcome")).await.is_err(), "a wrong code does not let her in");
    by_id(wd, "code").await.clear().await.unwrap();
    by_id(wd, "code").await.send_keys(totp.generate(NOW as u64 + 60)).await.unwrap();
    click(wd, "mfa-submit").await;
    assert!(text_of(wd, "welcome").await.contains("Fiscal Cusco"), "the authenticator's code lets her in");
    d.wd.clone().quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_admin_creates_an_organisation_and_a_user_then_reads_the_audit() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "admin@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/orgs", t.base)).await.unwrap();
    by_id(wd, "org-name").await.send_keys("Casa de Acogida Santa Rosa").await.unwrap();
    SelectElement::new(&wd.find(By::Id("org-kind")).await.unwrap()).await.unwrap().select_by_value("shelter").await.unwrap();
    SelectElement::new(&wd.find(By::Id("org-jurisdiction")).await.unwrap()).await.unwrap().select_by_value("PE-21").await.unwrap();
    wd.find(By::Id("org-submit")).await.unwrap().click().await.unwrap();
    assert!(text_of(wd, "notice").await.contains("Organización creada"));
    assert!(text_of(wd, "orgs-table").await.contains("Casa de Acogida Santa Rosa"));
    // A bad submission (blank name: the browser's own check passes spaces) keeps the form
    // and names the field, in the user's language.
    by_id(wd, "org-name").await.send_keys("   ").await.unwrap();
    wd.find(By::Id("org-submit")).await.unwrap().click().await.unwrap();
    wait_text(wd, "err-name", |t| t.contains("obligatorio")).await;
    shot(wd, "06-orgs-admin-error").await;

    wd.goto(format!("{}/users", t.base)).await.unwrap();
    by_id(wd, "user-name").await.send_keys("Rosa Quispe").await.unwrap();
    wd.find(By::Id("user-email")).await.unwrap().send_keys("rosa.quispe@car.gob.pe").await.unwrap();
    let orgs = t.store.list_orgs().await.unwrap();
    let new_org = orgs.iter().find(|o| o.name == "Casa de Acogida Santa Rosa").unwrap();
    SelectElement::new(&wd.find(By::Id("user-org")).await.unwrap()).await.unwrap().select_by_value(new_org.id.as_str()).await.unwrap();
    by_id(wd, "role-shelter_staff").await.click().await.unwrap();
    wd.find(By::Id("user-password")).await.unwrap().send_keys("una-clave-segura-2026").await.unwrap();
    wd.find(By::Id("user-submit")).await.unwrap().click().await.unwrap();
    assert!(text_of(wd, "notice").await.contains("Cuenta creada"));
    assert!(text_of(wd, "users-table").await.contains("rosa.quispe@car.gob.pe"));
    shot(wd, "07-users-admin").await;

    wd.goto(format!("{}/audit", t.base)).await.unwrap();
    by_id(wd, "f-action").await.send_keys("create_user").await.unwrap();
    wd.find(By::Id("audit-submit")).await.unwrap().click().await.unwrap();
    // htmx swaps the results in place; wait for the filtered table.
    let table = wait_text(wd, "audit-table", |t| t.contains("create_user") && !t.contains("create_org")).await;
    assert!(table.contains("create_user"), "the filter applies");
    shot(wd, "08-audit-admin").await;
    d.wd.clone().quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_investigator_records_a_person_and_reveals_an_identity_for_a_purpose() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "investigador@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/persons", t.base)).await.unwrap();
    let list = text_of(wd, "persons-table").await;
    assert!(list.contains("P-"), "pseudonymous codes are listed");
    assert!(!list.contains("Huamán"), "names are not on the list");
    by_id(wd, "p-aliases").await.send_keys("La Chiquita").await.unwrap();
    wd.find(By::Id("p-age")).await.unwrap().send_keys("15").await.unwrap();
    wd.find(By::Id("person-submit")).await.unwrap().click().await.unwrap();
    // Recording a person leads to the person's page, which shows only the pseudonymous code.
    let code = wait_text(wd, "person-code", |c| c.starts_with("P-")).await;
    assert!(!wd.source().await.unwrap().contains("La Chiquita"), "the alias is not shown before a reveal");
    shot(wd, "09-person-recorded").await;
    by_id(wd, "purpose").await.send_keys("preparar la derivación al albergue").await.unwrap();
    wd.find(By::Id("reveal-submit")).await.unwrap().click().await.unwrap();
    assert!(text_of(wd, "identity").await.contains("La Chiquita"));
    assert_eq!(text_of(wd, "person-code").await, code);
    shot(wd, "10-person-revealed").await;
    // The reveal is in the audit trail with its purpose.
    let audit = t
        .store
        .audit_page(&amparo_core::store::AuditFilter { action: Some("reveal_person".into()), limit: 5, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit[0].event.purpose, "preparar la derivación al albergue");
    // On a phone-sized window the page still works without sideways scrolling of the form.
    wd.set_window_rect(0, 0, 360, 800).await.unwrap();
    wd.goto(format!("{}/persons", t.base)).await.unwrap();
    let width: i64 = wd.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().convert().unwrap();
    assert!(width <= 360, "page is {width}px wide on a 360px screen");
    shot(wd, "11-persons-phone").await;
    d.wd.clone().quit().await.unwrap();
}

/// Set a form control's value (selects, dates) the way a user's choice would.
async fn set_value(wd: &WebDriver, id: &str, value: &str) {
    by_id(wd, id).await;
    wd.execute(&format!("document.getElementById('{id}').value = arguments[0];"), vec![serde_json::json!(value)]).await.unwrap();
}

/// Choose the first option of a select whose label contains `label`.
async fn choose(wd: &WebDriver, id: &str, label: &str) {
    by_id(wd, id).await;
    let js = format!(
        "const s = document.getElementById('{id}'); const o = [...s.options].find(o => o.text.includes(arguments[0])); if (o) {{ s.value = o.value; }} return !!o;"
    );
    let found: bool = wd.execute(&js, vec![serde_json::json!(label)]).await.unwrap().convert().unwrap();
    assert!(found, "no option containing {label:?} in #{id}");
}

async fn click(wd: &WebDriver, id: &str) {
    by_id(wd, id).await.click().await.unwrap();
}

async fn sign_out(wd: &WebDriver) {
    click(wd, "logout").await;
    wait_for_url(wd, "/login").await;
}

/// The whole protection path by three people: the hotline operator takes a call, the
/// investigator triages it, records and screens the girl, decides and refers her, and the
/// shelter's staff accept the referral.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_hotline_report_to_screening_decision_and_a_referral_accepted_by_the_shelter() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;

    // 1. The hotline operator records the call; it is routed to the Loreto police.
    sign_in(wd, &t.base, "operadora@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/reports", t.base)).await.unwrap();
    set_value(wd, "rep-place", "PE-1601").await;
    choose(wd, "rep-exploitation", "sexual").await;
    click(wd, "rep-danger").await;
    click(wd, "rep-child").await;
    by_id(wd, "rep-narrative")
        .await
        .send_keys("Una adolescente pidió ayuda desde un bar en Punchana; la encierran de noche.")
        .await
        .unwrap();
    click(wd, "report-submit").await;
    let unit = wait_text(wd, "report-unit", |u| !u.is_empty()).await;
    assert!(unit.contains("Loreto"), "routed to {unit}");
    assert_eq!(text_of(wd, "report-priority").await, "Urgente");
    let reference = text_of(wd, "report-ref").await;
    shot(wd, "20-report-routed").await;
    sign_out(wd).await;

    // 2. The investigator sees it first in the queue and acknowledges it.
    sign_in(wd, &t.base, "investigador@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/reports", t.base)).await.unwrap();
    assert!(text_of(wd, "queue").await.contains(&reference));
    shot(wd, "21-queue").await;
    wd.find(By::LinkText(&reference)).await.unwrap().click().await.unwrap();
    click(wd, "ack").await;
    wait_text(wd, "report-status", |s| s == "Recibida").await;

    // 3. She records the girl from the report (no document) and screens her.
    click(wd, "add-person").await;
    by_id(wd, "p-aliases").await.send_keys("La Chinita").await.unwrap();
    by_id(wd, "p-age").await.send_keys("15").await.unwrap();
    click(wd, "person-submit").await;
    let code = wait_text(wd, "person-code", |c| c.starts_with("P-")).await;
    click(wd, "start-screening").await;
    set_value(wd, "s-kind", "sexual").await;
    click(wd, "choose-submit").await;
    wait_text(wd, "set-label", |s| s.contains("explotación sexual") && s.contains("Niñas")).await;
    for id in ["d1.deceived_nature_job", "d1.deceived_education", "d4.excessive_hours"] {
        wd.find(By::Css(format!("input[value='{id}']"))).await.unwrap().click().await.unwrap();
    }
    // Live: two dimensions' worth of indicators are not yet enough…
    wait_text(wd, "outcome", |o| o.contains("No hay indicadores")).await;
    wd.find(By::Css("input[value='d4.hazardous_work']")).await.unwrap().click().await.unwrap();
    // …and with D4 positive the child rule is met.
    wait_text(wd, "outcome", |o| o.contains("Hay indicadores de trata")).await;
    shot(wd, "22-screening-live").await;
    click(wd, "save-final").await;
    wait_text(wd, "screenings-table", |s| s.contains("Hay indicadores de trata")).await;

    // 4. The identification decision, resting on that screening.
    set_value(wd, "d-status", "PossibleVictim").await;
    wd.execute("const s = document.getElementById('d-screening'); s.selectedIndex = 1;", vec![]).await.unwrap();
    click(wd, "decision-submit").await;
    wait_text(wd, "decisions-table", |s| s.contains("Posible víctima")).await;

    // 5. The referral to the children's shelter, with the authority's consent.
    choose(wd, "r-service", "CAR Señor de los Milagros").await;
    set_value(wd, "r-consent-by", "authority").await;
    set_value(wd, "r-consent-method", "written").await;
    by_id(wd, "r-consent-name").await.send_keys("Fiscalía de Familia de Maynas").await.unwrap();
    click(wd, "referral-submit").await;
    wait_text(wd, "referral-status", |s| s == "Solicitada").await;
    shot(wd, "23-referral-requested").await;
    sign_out(wd).await;

    // 6. The shelter's staff are notified, and accept.
    sign_in(wd, &t.base, "albergue@demo.amparo.pe", DEMO_PW).await;
    assert!(by_id(wd, "unread").await.text().await.unwrap().parse::<u32>().unwrap() >= 1, "a notification waits");
    wd.goto(format!("{}/referrals", t.base)).await.unwrap();
    let incoming = text_of(wd, "incoming").await;
    assert!(incoming.contains(&code), "{incoming}");
    wd.find(By::XPath(format!("//tr[td[contains(., '{code}')]]//a"))).await.unwrap().click().await.unwrap();
    click(wd, "ref-accept").await;
    wait_text(wd, "referral-status", |s| s == "Aceptada").await;
    shot(wd, "24-referral-accepted").await;
    // The shelter now sees the person (pseudonymous) and nobody's name leaked on the way.
    wd.goto(format!("{}/persons", t.base)).await.unwrap();
    assert!(text_of(wd, "persons-table").await.contains(&code));
    assert!(!wd.source().await.unwrap().contains("La Chinita"));
    d.wd.clone().quit().await.unwrap();
}

/// Record a person through the persons page and return the pseudonymous code.
async fn record_person(wd: &WebDriver, base: &str, role: &str, alias: &str) -> String {
    wd.goto(format!("{base}/persons")).await.unwrap();
    set_value(wd, "p-role", role).await;
    by_id(wd, "p-aliases").await.send_keys(alias).await.unwrap();
    click(wd, "person-submit").await;
    wait_text(wd, "person-code", |c| c.starts_with("P-")).await
}

/// Fill and submit the n-th form whose id starts with `prefix`, field by field.
async fn fill_form(wd: &WebDriver, prefix: &str, n: usize, fields: &[(&str, &str)]) {
    let js = format!(
        "const f = document.querySelectorAll('form[id^=\"{prefix}\"]')[{n}]; const d = f.closest('details'); if (d) {{ d.open = true; }} \
         for (const [k, v] of arguments[0]) {{ f.elements[k].value = v; }} f.submit();"
    );
    let pairs: Vec<(String, String)> = fields.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    wd.execute(&js, vec![serde_json::json!(pairs)]).await.unwrap();
}

/// The prosecution path by three people: the investigator opens a case, links suspects, shares
/// it with the prosecutor and (identities hidden) with the coordinating body; the prosecutor
/// files charges and records two convictions, one in range and one flagged; the coordinator
/// sees the case and its verdicts but not who is in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_police_case_shared_with_prosecutor_charged_and_sentenced_with_a_flag() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    let base = t.base.clone();

    sign_in(wd, &base, "investigador@demo.amparo.pe", DEMO_PW).await;
    let s1 = record_person(wd, &base, "suspect", "El Zorro").await;
    let s2 = record_person(wd, &base, "suspect", "La Jefa").await;
    wd.goto(format!("{base}/cases")).await.unwrap();
    by_id(wd, "case-title").await.send_keys("Discoteca en Belén").await.unwrap();
    set_value(wd, "case-exploitation", "isSexualExploit").await;
    set_value(wd, "case-place", "PE-1601").await;
    click(wd, "case-submit").await;
    let reference = wait_text(wd, "case-ref", |r| r.starts_with("C-")).await;
    for code in [&s1, &s2] {
        choose(wd, "link-person", code).await;
        set_value(wd, "link-role", "suspect").await;
        click(wd, "link-submit").await;
        wait_text(wd, "case-persons", |p| p.contains(code.as_str())).await;
    }
    // An attachment, through the real multipart form.
    let file = t._dir.path().join("acta.pdf");
    std::fs::write(&file, b"%PDF-1.4\nActa de intervencion\n%%EOF").unwrap();
    by_id(wd, "attach-file").await.send_keys(file.display().to_string()).await.unwrap();
    click(wd, "attach-submit").await;
    wait_text(wd, "attachments", |a| a.contains("PDF")).await;
    choose(wd, "share-org", "Fiscalía Especializada en Trata de Personas – Loreto").await;
    by_id(wd, "share-purpose").await.send_keys("Investigación fiscal").await.unwrap();
    set_value(wd, "share-until", "2027-12-31").await;
    click(wd, "share-submit").await;
    wait_text(wd, "case-shares", |s| s.contains("Fiscalía")).await;
    choose(wd, "share-org", "Comisión Multisectorial").await;
    by_id(wd, "share-purpose").await.send_keys("Seguimiento nacional").await.unwrap();
    set_value(wd, "share-until", "2027-12-31").await;
    click(wd, "share-hide").await;
    click(wd, "share-submit").await;
    wait_text(wd, "case-shares", |s| s.contains("Comisión")).await;
    shot(wd, "30-case-police").await;
    sign_out(wd).await;

    sign_in(wd, &base, "fiscal@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{base}/cases")).await.unwrap();
    wd.find(By::LinkText(&reference)).await.unwrap().click().await.unwrap();
    for code in [&s1, &s2] {
        choose(wd, "ch-person", code).await;
        choose(wd, "ch-statute", "129-A").await;
        set_value(wd, "ch-offence", "2026-02-01").await;
        set_value(wd, "ch-filed", "2026-04-01").await;
        click(wd, "ch-submit").await;
        wait_text(wd, "charges", |c| c.contains(code.as_str())).await;
    }
    fill_form(wd, "decide-", 0, &[("verdict", "convicted"), ("decided_on", "2026-09-01"), ("years", "12"), ("months", "6")]).await;
    wait_text(wd, "charges", |c| c.contains("12 años 6 meses")).await;
    fill_form(wd, "decide-", 1, &[("verdict", "convicted"), ("decided_on", "2026-09-01"), ("years", "3"), ("months", "0")]).await;
    let charges = wait_text(wd, "charges", |c| c.contains("3 años 0 meses")).await;
    assert_eq!(charges.matches("a revisión").count(), 1, "only the out-of-range sentence is flagged: {charges}");
    assert!(charges.contains("por debajo del mínimo"));
    shot(wd, "31-case-prosecutor").await;
    sign_out(wd).await;

    sign_in(wd, &base, "coordinadora@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{base}/cases")).await.unwrap();
    wd.find(By::LinkText(&reference)).await.unwrap().click().await.unwrap();
    by_id(wd, "hidden").await;
    let persons = text_of(wd, "case-persons").await;
    assert!(!persons.contains(&s1) && !persons.contains(&s2) && persons.contains("identidad oculta"), "{persons}");
    assert!(text_of(wd, "charges").await.contains("Condenado"), "verdicts are visible");
    assert!(!wd.source().await.unwrap().contains("El Zorro"));
    shot(wd, "32-case-coordinator").await;
    d.wd.clone().quit().await.unwrap();
}

/// The record-linkage review queue in the demo: the shelter, which sees both of Lucía's
/// records (its own, and the police's through the referral), compares them side by side and
/// links them; the police see only that the shelter must review the pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_shelter_reviews_a_possible_same_person_side_by_side_and_links_it() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    let base = t.base.clone();

    sign_in(wd, &base, "albergue@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{base}/matches")).await.unwrap();
    by_id(wd, "matches").await;
    shot(wd, "matches-queue").await;
    wd.find(By::Css("a.review-link")).await.unwrap().click().await.unwrap();
    // Identities only for a stated purpose, like any reveal.
    by_id(wd, "purpose").await.send_keys("Verificar si es la misma niña").await.unwrap();
    click(wd, "match-reveal").await;
    wait_text(wd, "revealed-for", |s| s.contains("Verificar")).await;
    let side = text_of(wd, "side-by-side").await;
    assert!(side.contains("Tapullima") && side.contains("Tapuyima"), "both spellings side by side: {side}");
    let why = text_of(wd, "contributions").await;
    assert!(why.contains("Nombres") && why.contains("Apellidos"), "field by field, in Spanish: {why}");
    shot(wd, "match-side-by-side").await;
    click(wd, "match-confirm").await;
    wait_text(wd, "match-status", |s| s.contains("vinculado")).await;
    by_id(wd, "match-unlink").await;
    sign_out(wd).await;

    // The police hold the other record but cannot see the shelter's: no identities, only
    // who reviews the pair.
    sign_in(wd, &base, "investigador@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{base}/matches")).await.unwrap();
    let queue = text_of(wd, "matches").await;
    assert!(queue.contains("requiere revisión por") && queue.contains("Centro de Acogida"), "{queue}");
    assert!(!queue.contains("Tapuyima") && !queue.contains("Tapullima"), "no names in the queue");
    sign_out(wd).await;

    // The national coordinator runs linkage over everyone: the run goes on in the background,
    // and the page (polling while it is under way) ends up showing what the run found.
    sign_in(wd, &base, "coordinadora@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{base}/matches")).await.unwrap();
    assert!(wd.find(By::Id("run-summary")).await.is_err(), "no run yet since this server started");
    click(wd, "run-linkage").await;
    let summary = wait_text(wd, "run-summary", |s| s.contains("personas")).await;
    assert!(summary.contains("pares comparados") && summary.contains("pares candidatos"), "{summary}");
    shot(wd, "matches-run-summary").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_analyst_reads_the_2008_report_with_charts_and_map_and_downloads_the_pdf() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    t.app.demo().load_demo_history(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    let base = t.base.clone();

    sign_in(wd, &base, "analista@demo.amparo.pe", DEMO_PW).await;
    wd.find(By::LinkText("Estadísticas")).await.unwrap().click().await.unwrap();
    // Ask for 2008 through the form, as a user would.
    let year = by_id(wd, "report-form").await.find(By::Name("year")).await.unwrap();
    year.clear().await.unwrap();
    year.send_keys("2008").await.unwrap();
    year.send_keys(Key::Enter).await.unwrap();
    wait_text(wd, "report-title", |s| s.contains("2008")).await;
    let key = text_of(wd, "key-figures").await;
    assert!(key.contains("Procesamientos › casos 55 15"), "{key}");
    assert!(key.contains("Víctimas identificadas 153 30"), "{key}");
    assert!(key.contains("Condenas › imputados 5 0"), "{key}");
    assert!(key.contains("Personas rescatadas en operativos policiales 56"), "{key}");
    // Charts are SVG drawn on the server, each with its table; the map shades the regions.
    let loreto = wd.find(By::Css("#chart-map path[data-region='PE-16']")).await.unwrap();
    assert_eq!(loreto.attr("fill").await.unwrap().as_deref(), Some("#08519c"), "Loreto is the darkest region");
    assert!(wd.find_all(By::Css("figure.chart svg")).await.unwrap().len() >= 5);
    assert!(wd.find_all(By::Css("figure.chart details table")).await.unwrap().len() >= 5, "a table behind every chart");
    // Small cells are hidden from the analyst, and the page says so.
    assert!(text_of(wd, "suppressed").await.contains("menos de 11"));
    assert!(wd.find(By::Css("#chart-map path[data-region='PE-21'] title")).await.is_ok());
    shot(wd, "statistics-2008").await;
    // The PDF download is a real PDF.
    let href = wd.find(By::Css("#downloads a[href*='/pdf']")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert!(href.contains("year=2008"), "{href}");
    let (browser, _) = login(&t, "analista@demo.amparo.pe", DEMO_PW).await;
    let resp = browser.get(&href).await;
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.bytes().await.unwrap().starts_with(b"%PDF-"));
}

/// The labour inspector's work end to end: the menu leads to inspections; a person found is
/// recorded and screened; a referral without consent is refused with the consent named and
/// the form kept; with consent it goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_labour_inspector_inspection_to_screening_and_referral() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "inspectora@demo.amparo.pe", DEMO_PW).await;
    wd.find(By::Css("nav a[href='/inspections']")).await.expect("Inspecciones is in the menu").click().await.unwrap();
    wait_for_url(wd, "/inspections").await;
    shot(wd, "30-inspector-inspections").await;
    wd.find(By::Css("#inspections a[href^='/inspections/']")).await.unwrap().click().await.unwrap();
    let facts = text_of(wd, "facts").await;
    assert!(facts.contains("Madre de Dios") && !facts.contains("PE-17"), "places by name: {facts}");
    click(wd, "add-person").await;
    by_id(wd, "p-aliases").await.send_keys("Don Elmer").await.unwrap();
    by_id(wd, "p-age").await.send_keys("24").await.unwrap();
    click(wd, "person-submit").await;
    wait_text(wd, "person-code", |c| c.starts_with("P-")).await;
    assert!(by_id(wd, "person-source").await.attr("href").await.unwrap().unwrap_or_default().starts_with("/inspections/"));
    click(wd, "start-screening").await;
    set_value(wd, "s-kind", "labour").await;
    click(wd, "choose-submit").await;
    for id in ["d1.deceived_nature_job", "d1.deceived_wages", "d4.excessive_hours", "d5.confiscation_documents", "d5.debt_bondage"] {
        if let Ok(e) = wd.find(By::Css(format!("input[value='{id}']"))).await {
            e.click().await.unwrap();
        }
    }
    wait_text(wd, "outcome", |o| !o.is_empty()).await;
    click(wd, "save-final").await;
    wait_text(wd, "screenings-table", |s| s.contains("Terminado") || s.contains("final") || s.contains("indicadores")).await;
    // A referral without consent: refused, naming the consent; the service and notes stay.
    wd.execute("const s = document.getElementById('r-service'); s.selectedIndex = 1;", vec![]).await.unwrap();
    let service: String = wd.execute("return document.getElementById('r-service').value", vec![]).await.unwrap().convert().unwrap();
    by_id(wd, "r-notes").await.send_keys("Necesita alojamiento esta noche").await.unwrap();
    click(wd, "referral-submit").await;
    wait_text(wd, "referral-form", |s| s.contains("Registre el consentimiento")).await;
    shot(wd, "31-inspector-referral-refused").await;
    let kept: String = wd.execute("return document.getElementById('r-notes').value", vec![]).await.unwrap().convert().unwrap();
    let kept_service: String = wd.execute("return document.getElementById('r-service').value", vec![]).await.unwrap().convert().unwrap();
    assert_eq!((kept.as_str(), kept_service.as_str()), ("Necesita alojamiento esta noche", service.as_str()));
    set_value(wd, "r-consent-by", "person").await;
    set_value(wd, "r-consent-method", "verbal").await;
    set_value(wd, "r-consent-on", "2026-09-01").await;
    click(wd, "referral-submit").await;
    wait_text(wd, "referral-status", |s| s == "Solicitada").await;
    d.wd.clone().quit().await.unwrap();
}

/// The NGO case worker's work: a referral received is accepted, assistance recorded with a
/// detail of the chosen type only, and the person found again by a misspelt name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_case_worker_accepts_assists_and_finds_a_misspelt_name() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let (status, p) = call(
        &t,
        &inv,
        "POST",
        "/api/v1/persons",
        serde_json::json!({ "role": "victim", "given_names": "Érika", "first_surname": "Saavedra", "approx_age": "24" }),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let ngo = t.store.find_user_by_email("trabajadora-social@demo.amparo.pe").await.unwrap().unwrap().user.org_id;
    let services = t.app.referrals().list_services(&Ctx::system("t"), None).await.unwrap();
    let service = services.iter().find(|s| s.org_id == ngo).expect("the NGO has a service");
    let body =
        serde_json::json!({ "service_id": service.id, "consent_by": "person", "consent_method": "verbal", "consent_on": "2026-09-01" });
    let (status, r) = call(&t, &inv, "POST", &format!("/api/v1/persons/{}/referrals", p["id"].as_str().unwrap()), body).await;
    assert_eq!(status, 201, "{r}");
    let code = p["code"].as_str().unwrap().to_owned();
    t.app.coordination().rebuild_search().await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "trabajadora-social@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/referrals", t.base)).await.unwrap();
    wd.find(By::XPath(format!("//tr[td[contains(., '{code}')]]//a"))).await.unwrap().click().await.unwrap();
    click(wd, "ref-accept").await;
    wait_text(wd, "referral-status", |s| s == "Aceptada").await;
    wd.goto(format!("{}/persons/{}", t.base, p["id"].as_str().unwrap())).await.unwrap();
    let kind: String = wd.execute("return document.getElementById('a-kind').value", vec![]).await.unwrap().convert().unwrap();
    // Only the chosen type's details can be picked.
    let foreign: i64 = wd
        .execute("return [...document.querySelectorAll('#a-detail optgroup')].filter(g => !g.disabled && g.dataset.kind !== arguments[0]).length", vec![serde_json::json!(kind)])
        .await
        .unwrap()
        .convert()
        .unwrap();
    assert_eq!(foreign, 0, "details of other types are not offered");
    set_value(wd, "a-start", "2026-09-02").await;
    click(wd, "assist-submit").await;
    wait_text(wd, "assistance-table", |s| s.contains("2026-09-02")).await;
    shot(wd, "32-case-worker-assistance").await;
    wd.goto(format!("{}/search", t.base)).await.unwrap();
    by_id(wd, "q").await.send_keys("Erica Saavedr").await.unwrap();
    click(wd, "search-submit").await;
    wait_text(wd, "hits", |h| h.contains(&code)).await;
    d.wd.clone().quit().await.unwrap();
}

/// An organisation's admin creates, edits and disables an account and reads the trail,
/// never meeting a refusal from a link or a button she was shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_org_admin_manages_an_account_without_dead_ends() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "admin-loreto@demo.amparo.pe", DEMO_PW).await;
    wd.find(By::Css("nav a[href='/users']")).await.unwrap().click().await.unwrap();
    assert!(wd.find(By::Id("role-coordinator")).await.is_err(), "national roles are not offered");
    by_id(wd, "user-name").await.send_keys("Sofía Arévalo").await.unwrap();
    by_id(wd, "user-email").await.send_keys("sofia.arevalo@pnp.gob.pe").await.unwrap();
    click(wd, "role-investigator").await;
    by_id(wd, "user-password").await.send_keys("una-clave-segura-2026").await.unwrap();
    click(wd, "user-submit").await;
    assert!(text_of(wd, "notice").await.contains("Cuenta creada"));
    wd.find(By::LinkText("Sofía Arévalo")).await.unwrap().click().await.unwrap();
    let name = by_id(wd, "edit-name").await;
    name.clear().await.unwrap();
    name.send_keys("Sofía Arévalo Ríos").await.unwrap();
    click(wd, "edit-submit").await;
    assert!(text_of(wd, "notice").await.contains("Cuenta actualizada"));
    wd.goto(format!("{}/users", t.base)).await.unwrap();
    let u = t.store.find_user_by_email("sofia.arevalo@pnp.gob.pe").await.unwrap().unwrap().user;
    wd.find(By::Css(format!("#user-{} button", u.id))).await.unwrap().click().await.unwrap();
    shot(wd, "33-org-admin-confirm-disable").await;
    click(wd, "confirm-disable").await;
    assert!(text_of(wd, "notice").await.contains("Cuenta desactivada"));
    wd.goto(format!("{}/audit", t.base)).await.unwrap();
    let table = text_of(wd, "audit-table").await;
    assert!(table.contains("Desactivar cuenta") && table.contains("Crear cuenta"), "{table}");
    shot(wd, "34-org-admin-audit").await;
    // Every link in the menu and on these pages opens.
    let links: Vec<String> = wd
        .execute("return [...document.querySelectorAll('a[href^=\"/\"]')].map(a => a.getAttribute('href')).filter(h => !h.startsWith('/assets'))", vec![])
        .await
        .unwrap()
        .convert()
        .unwrap();
    for href in links {
        wd.goto(format!("{}{}", t.base, href)).await.unwrap();
        assert!(wd.find(By::Id("error-message")).await.is_err(), "{href} refused her");
    }
    d.wd.clone().quit().await.unwrap();
}

/// Fill a form's fields by name (opening it if folded) and press its submit button, as a
/// user would; `submit` is a CSS selector inside the form.
async fn fill_and_press(wd: &WebDriver, form: &str, fields: &[(&str, &str)], submit: &str) {
    let js = format!(
        "const f = document.querySelector('{form}'); const d = f.closest('details'); if (d) {{ d.open = true; }} \
         for (const [k, v] of arguments[0]) {{ f.elements[k].value = v; }}"
    );
    let pairs: Vec<(String, String)> = fields.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    wd.execute(&js, vec![serde_json::json!(pairs)]).await.unwrap();
    wd.find(By::Css(format!("{form} {submit}"))).await.unwrap().click().await.unwrap();
}

/// A witness with no account reports through the public form, keeps the receipt, checks the
/// report's status and adds to it; the hotline finds the report in its queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_witness_reports_through_the_public_form_and_the_hotline_finds_it() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    wd.goto(format!("{}/public/report", t.base)).await.unwrap();
    wd.execute("const s = document.getElementById('pub-exploitation'); s.selectedIndex = 1;", vec![]).await.unwrap();
    set_value(wd, "pub-place", "PE-16").await;
    by_id(wd, "pub-narrative")
        .await
        .send_keys("En una chacra cerca de Iquitos trabajan chicas sin paga y no las dejan salir")
        .await
        .unwrap();
    click(wd, "pub-submit").await;
    let reference = text_of(wd, "pub-reference").await;
    let secret = text_of(wd, "pub-secret").await;
    assert!(!reference.is_empty() && secret.len() >= 8, "a receipt: {reference} / {secret}");
    shot(wd, "40-public-receipt").await;
    // Later, with the receipt: the status, and something added.
    wd.goto(format!("{}/public/status", t.base)).await.unwrap();
    by_id(wd, "pub-ref-in").await.send_keys(&reference).await.unwrap();
    by_id(wd, "pub-secret-in").await.send_keys(&secret).await.unwrap();
    click(wd, "lookup-submit").await;
    assert!(text_of(wd, "pub-received").await.contains(&reference));
    by_id(wd, "pub-text").await.send_keys("Son tres chicas, una menor de edad").await.unwrap();
    wd.find(By::Css("#follow-up-form button[type=submit]")).await.unwrap().click().await.unwrap();
    by_id(wd, "pub-added").await;
    // The police unit of the place it names finds it in its queue.
    sign_in(wd, &t.base, "investigador@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/reports", t.base)).await.unwrap();
    let link = wd.find(By::XPath(format!("//a[normalize-space()='{reference}']"))).await;
    assert!(link.is_ok(), "the web tip {reference} is in the Loreto unit's queue");
    d.wd.clone().quit().await.unwrap();
}

/// The investigator's day: an operation recorded from the form, an alert decided, a task
/// done from the unit's task list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_investigator_records_an_operation_decides_an_alert_and_completes_a_task() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "investigador@demo.amparo.pe", DEMO_PW).await;
    wd.find(By::Css("nav a[href='/operations']")).await.expect("Operativos is in the menu").click().await.unwrap();
    wait_for_url(wd, "/operations").await;
    let before = wd.find_all(By::Css("#operations tbody tr")).await.map(|r| r.len()).unwrap_or(0);
    set_value(wd, "op-date", "2026-09-01").await;
    set_value(wd, "op-place", "PE-16").await;
    set_value(wd, "op-found", "7").await;
    set_value(wd, "op-rescued", "5").await;
    click(wd, "operation-submit").await;
    for _ in 0..100 {
        if wd.current_url().await.map(|u| u.path().starts_with("/operations/")).unwrap_or(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wd.goto(format!("{}/operations", t.base)).await.unwrap();
    let rows = wd.find_all(By::Css("#operations tbody tr")).await.unwrap();
    assert_eq!(rows.len(), before + 1, "the operation is listed");
    let mut texts = Vec::new();
    for r in rows {
        texts.push(r.text().await.unwrap());
    }
    assert!(texts.iter().any(|t| t.contains("Loreto") && t.ends_with("7 5")), "with its place by name and its counts: {texts:?}");

    // An open alert decided "not the same person": it leaves the open list.
    wd.goto(format!("{}/alerts", t.base)).await.unwrap();
    let forms = wd.find_all(By::Css("#alerts form")).await.unwrap();
    assert!(!forms.is_empty(), "the demo has an open alert for the unit");
    wd.find(By::Css("#alerts form button[value='not_same']")).await.unwrap().click().await.unwrap();
    for _ in 0..100 {
        if wd.find_all(By::Css("#alerts form")).await.map(|f| f.len() < forms.len()).unwrap_or(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(wd.find_all(By::Css("#alerts form")).await.unwrap().len(), forms.len() - 1);

    // A task done from the list leaves it.
    wd.goto(format!("{}/tasks", t.base)).await.unwrap();
    let tasks = wd.find_all(By::Css("#tasks tbody tr")).await.unwrap().len();
    assert!(tasks > 0, "the demo has open tasks");
    wd.find(By::Css("#tasks tbody tr form button")).await.unwrap().click().await.unwrap();
    for _ in 0..100 {
        if wd.find_all(By::Css("#tasks tbody tr")).await.map(|r| r.len() < tasks).unwrap_or(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(wd.find_all(By::Css("#tasks tbody tr")).await.unwrap().len(), tasks - 1);
    d.wd.clone().quit().await.unwrap();
}

/// Three desks: the coordinator reads the referral gap and records a training; the shelter
/// adds a service and reads its notifications; the system administrator publishes an
/// instrument version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_gap_prevention_services_notifications_and_publishing_an_instrument() {
    let Some(d) = browser().await else { return };
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let wd = &d.wd;
    sign_in(wd, &t.base, "coordinadora@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/referral-gap", t.base)).await.unwrap();
    let count = text_of(wd, "gap-count").await;
    let rows = wd.find_all(By::Css("#gap tbody tr")).await.unwrap().len();
    assert!(rows > 0 && count.contains(&rows.to_string()), "the count names the rows listed: {count} / {rows}");
    wd.goto(format!("{}/prevention", t.base)).await.unwrap();
    fill_and_press(
        wd,
        "#prevention-form",
        &[("kind", "training"), ("title", "Taller con serenazgo de Juliaca"), ("date", "2026-08-15"), ("place", "PE-21"), ("people", "30")],
        "button[type=submit]",
    )
    .await;
    wait_text(wd, "prevention", |s| s.contains("Taller con serenazgo de Juliaca")).await;
    sign_out(wd).await;

    sign_in(wd, &t.base, "albergue@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/services", t.base)).await.unwrap();
    fill_and_press(
        wd,
        "#service-form",
        &[
            ("name", "Casa de acogida Nuevo Amanecer"),
            ("kind", "shelter"),
            ("region", "PE-21"),
            ("capacity", "8"),
            ("contact_protocol", "Llamar a la directora"),
        ],
        "#service-submit",
    )
    .await;
    for _ in 0..100 {
        if !wd.current_url().await.map(|u| u.path() == "/services").unwrap_or(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wd.goto(format!("{}/services", t.base)).await.unwrap();
    wait_text(wd, "services", |s| s.contains("Casa de acogida Nuevo Amanecer")).await;
    wd.goto(format!("{}/notifications", t.base)).await.unwrap();
    let unread = wd.find_all(By::Css("#notifications li.unread")).await.unwrap().len();
    assert!(unread > 0, "the demo's referrals notified the shelter");
    click(wd, "mark-read").await;
    for _ in 0..100 {
        if wd.find_all(By::Css("#notifications li.unread")).await.map(|l| l.is_empty()).unwrap_or(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(wd.find_all(By::Css("#notifications li.unread")).await.unwrap().is_empty(), "all read");
    sign_out(wd).await;

    sign_in(wd, &t.base, "admin@demo.amparo.pe", DEMO_PW).await;
    wd.goto(format!("{}/instruments", t.base)).await.unwrap();
    let mut i = amparo_core::usecases::instruments::builtin_instrument().unwrap();
    // One indicator per set keeps the form under the test server's body limit.
    let mut seen = std::collections::HashSet::new();
    i.indicators.retain(|x| seen.insert(x.set.clone()));
    i.family = "tamizaje-regional".into();
    set_value(wd, "instrument-json", &serde_json::to_string(&i).unwrap()).await;
    click(wd, "publish-submit").await;
    // Published: the browser is shown the new version, and the list offers it.
    wait_for_url(wd, "/instruments/tamizaje-regional-v1").await;
    assert!(text_of(wd, "indicators").await.contains("d1.deceived_nature_job"));
    wd.goto(format!("{}/instruments", t.base)).await.unwrap();
    wait_text(wd, "instruments", |s| s.contains("tamizaje-regional")).await;
    d.wd.clone().quit().await.unwrap();
}
