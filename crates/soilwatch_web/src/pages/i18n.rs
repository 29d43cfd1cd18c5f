//! Chinese by default, English on request (issue 7): `?lang=en` or `?lang=zh` on any page switches
//! the language and remembers it in the `sw_lang` cookie; the cookie decides otherwise.
//!
//! Not a framework: texts are written in place as pairs (`l.t("首页", "Home")`). The
//! [`layer`] middleware finds the language of each request and keeps it in a task-local, so the
//! shared navigation of `base.html` ([`nav`]) follows it on every page without each page passing
//! it; pages written for both languages take a [`Lang`] field.

use axum::extract::Request;
use axum::http::header::{HeaderValue, SET_COOKIE};
use axum::middleware::Next;
use axum::response::Response;

use super::svg::esc;

/// Name of the cookie that remembers the language.
pub const LANG_COOKIE: &str = "sw_lang";

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文 (default).
    #[default]
    Zh,
    En,
}

tokio::task_local! {
    static CURRENT: Lang;
}

impl Lang {
    /// `zh` or `en`; anything else is not a language.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// Whether this is English (templates).
    pub fn en(self) -> bool {
        self == Lang::En
    }

    /// The language of the request being handled (Chinese outside [`layer`]).
    pub fn current() -> Lang {
        CURRENT.try_with(|l| *l).unwrap_or_default()
    }
}

/// `lang=…` in a query string.
fn from_query(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// Find the language of a request (`?lang=` first, then the cookie), run the handler with it,
/// and remember a `?lang=` choice in the cookie.
pub async fn layer(req: Request, next: Next) -> Response {
    let asked = from_query(req.uri().query());
    let lang = asked
        .or_else(|| crate::auth::cookie_value(req.headers(), LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_default();
    let mut res = CURRENT.scope(lang, next.run(req)).await;
    if let Some(l) = asked {
        // Not HttpOnly-sensitive: it holds a language only; a year, the whole site.
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

/// The navigation bar of `base.html` in the current language, with the switch to the other.
pub fn nav() -> String {
    let l = Lang::current();
    let links: [(&str, &str, &str); 14] = [
        ("/", "首页", "Home"),
        ("/network/coverage", "监测网络覆盖", "Network coverage"),
        ("/points", "监测点位", "Points"),
        ("/samples", "样品", "Samples"),
        ("/results", "检测结果", "Results"),
        ("/standards", "评价标准", "Standards"),
        ("/imports", "数据导入", "Imports"),
        ("/classification", "农用地分类", "Classification"),
        ("/plots", "污染地块", "Plots"),
        ("/enterprises", "重点监管企业", "Enterprises"),
        ("/remediation-projects", "修复工程", "Remediation"),
        ("/tailings-ponds", "尾矿库", "Tailings ponds"),
        ("/account", "账户", "Account"),
        ("/login", "登录", "Sign in"),
    ];
    let mut out = String::from("<nav aria-label=\"");
    out.push_str(l.t("主导航", "Main navigation"));
    out.push_str("\"><ul>");
    for (href, zh, en) in links {
        out.push_str(&format!(
            "<li><a href=\"{href}\">{}</a></li>",
            esc(l.t(zh, en))
        ));
    }
    out.push_str(&format!(
        "<li><a href=\"/logout\">{}</a></li><li class=\"lang\">{}</li></ul></nav>",
        l.t("退出", "Sign out"),
        match l {
            Lang::Zh => "<a href=\"?lang=en\" lang=\"en\" hreflang=\"en\">English</a>",
            Lang::En => "<a href=\"?lang=zh\" lang=\"zh-CN\" hreflang=\"zh-CN\">中文</a>",
        }
    ));
    out
}

/// A text in the language of the request being handled: for templates and page code that do not
/// carry a [`Lang`] (`{{ crate::pages::i18n::t("用户", "Users") }}`).
pub fn t<'a>(zh: &'a str, en: &'a str) -> &'a str {
    Lang::current().t(zh, en)
}

/// A coded value's name in the current language: the Chinese name, or in English its code with
/// spaces (`detailed_survey` → "detailed survey"), for the enumerations that have no English name.
pub fn named(cn: &str, code: &str) -> String {
    match Lang::current() {
        Lang::Zh => cn.to_owned(),
        Lang::En => code.replace('_', " "),
    }
}

/// A role's name in the current language.
pub fn role_name(r: soilwatch_store::Role) -> &'static str {
    use soilwatch_store::Role;
    let l = Lang::current();
    match r {
        Role::Administrator => l.t(r.name_cn(), "administrator"),
        Role::DataOfficer => l.t(r.name_cn(), "data officer"),
        Role::Reviewer => l.t(r.name_cn(), "reviewer"),
        Role::Viewer => l.t(r.name_cn(), "viewer"),
    }
}

/// A bilingual message `中文 / English` (as the store and the API write them) in the current
/// language: the part before the first ` / ` in Chinese, the rest in English. A message without
/// ` / ` is shown whole.
pub fn pick(msg: &str) -> String {
    match msg.split_once(" / ") {
        Some((zh, en)) => Lang::current().t(zh, en).to_owned(),
        None => msg.to_owned(),
    }
}

/// The `lang` attribute of the current page (`base.html`).
pub fn html_lang() -> &'static str {
    Lang::current().html()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_parsing() {
        assert_eq!(from_query(Some("measure=points&lang=en")), Some(Lang::En));
        assert_eq!(from_query(Some("lang=zh")), Some(Lang::Zh));
        assert_eq!(from_query(Some("lang=fr")), None);
        assert_eq!(from_query(None), None);
        assert_eq!(Lang::En.t("首页", "Home"), "Home");
        assert_eq!(Lang::default().t("首页", "Home"), "首页");
    }

    #[tokio::test]
    async fn navigation_follows_the_current_language() {
        assert!(nav().contains(">首页<") && nav().contains(">English<"));
        let en = CURRENT.scope(Lang::En, async { nav() }).await;
        assert!(en.contains(">Home<") && en.contains(">中文<"), "{en}");
    }
}
