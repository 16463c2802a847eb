//! Spanish and English for every user-facing string (Fluent files in `locales/`). The
//! locale is chosen per request: the user's explicit choice first, then their saved
//! preference, then the browser's Accept-Language, then Spanish.

use fluent_templates::{Loader, static_loader};
use std::collections::HashMap;
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "es",
        // Bidi isolation marks would end up inside attributes and e-mail addresses.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ES: LanguageIdentifier = langid!("es");
static EN: LanguageIdentifier = langid!("en");

/// A translator bound to one locale; templates call `t.t("key")`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tr {
    pub lang: Lang,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Es,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().get(..2).map(|p| p.to_ascii_lowercase()).as_deref() {
            Some("es") => Some(Lang::Es),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }
    /// First supported language in an Accept-Language header, by quality.
    pub fn from_accept_language(h: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            if let Some(l) = Lang::parse(tag)
                && best.map(|(bq, _)| q > bq).unwrap_or(true)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l)
    }
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }
    fn id(&self) -> &'static LanguageIdentifier {
        match self.lang {
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }
    /// The message for `key`, or the key itself if it is missing (a test checks none are).
    pub fn t(&self, key: &str) -> String {
        LOCALES.try_lookup(self.id(), key).unwrap_or_else(|| key.to_owned())
    }
    /// The message for a vocabulary value: `<prefix>-<value>` with `_` written as `-`
    /// (`tk("sector", "brick_making")` → `sector-brick-making`).
    pub fn tk(&self, prefix: &str, value: &str) -> String {
        self.t(&format!("{prefix}-{}", value.replace('_', "-")))
    }
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(self.id(), key).is_some()
    }
    pub fn t_args(&self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<std::borrow::Cow<'static, str>, fluent_templates::fluent_bundle::FluentValue> =
            args.iter().map(|(k, v)| (std::borrow::Cow::Owned((*k).to_owned()), v.clone().into())).collect();
        LOCALES.try_lookup_with_args(self.id(), key, &map).unwrap_or_else(|| key.to_owned())
    }
    /// Message for an error or field code: `err-<code>`, with a generic fallback.
    pub fn err(&self, code: &str) -> String {
        let k = format!("err-{code}");
        if self.has(&k) { self.t(&k) } else { self.t("err-bad_request") }
    }
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9,es;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr-FR,es-PE;q=0.7,en;q=0.5"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("qu,ay"), None);
    }

    #[test]
    fn both_locales_have_the_same_keys_and_translate() {
        let es = include_str!("../locales/es/main.ftl");
        let en = include_str!("../locales/en/main.ftl");
        let keys = |s: &str| s.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned())).collect::<Vec<_>>();
        assert_eq!(keys(es), keys(en));
        assert_eq!(Tr::new(Lang::Es).t("login-title"), "Iniciar sesión");
        assert_eq!(Tr::new(Lang::En).t("login-title"), "Sign in");
        assert_eq!(Tr::new(Lang::En).t_args("dash-welcome", &[("name", "Ana".into())]), "Welcome, Ana");
    }
}
