//! What the record forms share (issue 7): a field of a form page ([`FormField`], rendered by
//! `templates/form_fields.html` with its label, its typed value, its hint and its error next to
//! it), and the errors of the API's functions split by field in the page's language
//! ([`api_field_errors`]).

use super::i18n::{pick, Lang};
use super::FieldErrors;
use crate::error::ApiError;

/// A field of a form page: its input (a select when it has options), its value as typed, and
/// its error in the page's language.
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `number`, `date`.
    pub kind: &'static str,
    pub value: String,
    pub options: Option<Vec<(String, String)>>,
    pub required: bool,
    pub hint: &'static str,
    pub error: String,
}

impl FormField {
    /// A text input.
    pub fn input(name: &'static str, label: &'static str, value: &str) -> FormField {
        FormField {
            name,
            label,
            kind: "text",
            value: value.to_owned(),
            options: None,
            required: false,
            hint: "",
            error: String::new(),
        }
    }

    /// A select.
    pub fn select(
        name: &'static str,
        label: &'static str,
        value: &str,
        options: Vec<(String, String)>,
    ) -> FormField {
        FormField {
            options: Some(options),
            ..FormField::input(name, label, value)
        }
    }

    pub fn kind(self, kind: &'static str) -> FormField {
        FormField { kind, ..self }
    }

    pub fn required(self) -> FormField {
        FormField {
            required: true,
            ..self
        }
    }

    pub fn hint(self, hint: &'static str) -> FormField {
        FormField { hint, ..self }
    }
}

/// Put each field's error on it (`errors.of(name)`).
pub fn with_errors(mut fields: Vec<FormField>, errors: &FieldErrors) -> Vec<FormField> {
    for f in &mut fields {
        f.error = errors.of(f.name);
    }
    fields
}

/// A field named in a message of the API or the store, with the text in the page's language.
/// Two forms are written: `字段 x / field x: 中文 / English` (the API's) and
/// `字段 x: 中文 / field x: English` (the registry store's), possibly after a prefix.
fn field_message(part: &str) -> Option<(String, String)> {
    let at = part.find("字段 ")?;
    let rest = &part[at + "字段 ".len()..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))?;
    let (field, rest) = rest.split_at(end);
    let marker = format!(" / field {field}: ");
    if let Some(text) = rest.strip_prefix(marker.as_str()) {
        return Some((field.to_owned(), pick(text)));
    }
    let rest = rest
        .strip_prefix(": ")
        .or_else(|| rest.strip_prefix("："))?;
    let (cn, en) = rest.split_once(marker.as_str())?;
    Some((field.to_owned(), Lang::current().t(cn, en).to_owned()))
}

/// The errors of a refused write, each on the field it names (`aliases` renames fields of the
/// API to those of the form, e.g. `location` → `lon`); the rest on `form`.
pub fn api_field_errors(e: &ApiError, aliases: &[(&str, &str)]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for part in super::message(e).split("; ") {
        match field_message(part) {
            Some((f, text)) => {
                let f = aliases
                    .iter()
                    .find(|(from, _)| *from == f)
                    .map_or(f.as_str(), |(_, to)| to);
                errors.push(f, text);
            }
            None => errors.push("form", pick(part)),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_message_forms_name_their_field() {
        let api = ApiError::Unprocessable(
            "字段 name / field name: 点位名称不能为空 / a point needs a name; 字段 location / \
             field location: 不在县界内 / outside the county"
                .into(),
        );
        let e = api_field_errors(&api, &[("location", "lon")]);
        assert_eq!(e.of("name"), "点位名称不能为空");
        assert_eq!(e.of("lon"), "不在县界内");
        let store = ApiError::Unprocessable(
            "无效数据 / invalid: 字段 planned_use: 未知代码 X9 / field planned_use: unknown code X9"
                .into(),
        );
        assert_eq!(
            api_field_errors(&store, &[]).of("planned_use"),
            "未知代码 X9"
        );
        let other = ApiError::Conflict("冲突 / conflict: exists".into());
        assert_eq!(api_field_errors(&other, &[]).of("form"), "冲突");
    }
}
