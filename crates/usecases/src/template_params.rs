//! Whether a template send fits its stored template: it must be APPROVED, and its body and
//! text header must get exactly the parameters they ask for. Pure rules over the stored
//! template, shared by the template use cases ([`crate::templates`]) and the outbox
//! dispatcher ([`crate::outbound`]), so neither depends on the other for them.

use std::collections::BTreeSet;

use omni_ports::StoredTemplate;
use omni_ports::meta::{TemplateComponent, TemplateComponentKind, TemplateParameter};
use serde_json::Value;

/// Why a send does not fit its stored template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateMismatch {
    /// The template may not be sent in its status.
    #[error("template {name} is {status}, not APPROVED")]
    NotApproved {
        /// Name.
        name: String,
        /// Status.
        status: String,
    },
    /// The parameters do not fit the template.
    #[error("parameters do not match the template: {0}")]
    Parameters(String),
}

/// What a template text asks for: `{{1}}`..`{{n}}` (positional) or `{{name}}` (named).
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if !inner.is_empty() {
            out.insert(inner.to_owned());
        }
        rest = &after[end + 2..];
    }
    out
}

/// The placeholders of a stored template's component (`BODY`, `HEADER` with text).
fn expected(template: &StoredTemplate, kind: &str) -> BTreeSet<String> {
    template
        .components
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        })
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .flat_map(placeholders)
        .collect()
}

fn supplied<'a>(
    components: &'a [TemplateComponent],
    kind: &TemplateComponentKind,
) -> Vec<&'a TemplateParameter> {
    components
        .iter()
        .filter(|c| &c.kind == kind)
        .flat_map(|c| c.parameters.iter())
        .filter(|p| {
            matches!(
                p,
                TemplateParameter::Text { .. } | TemplateParameter::Currency { .. }
            )
        })
        .collect()
}

/// Checks a send's parameters against a stored template: it must be APPROVED, and its body
/// and text header must get exactly the parameters they ask for (by count for positional
/// templates, by name for named ones).
///
/// # Errors
/// `NotApproved`, `Parameters`.
pub fn check_parameters(
    template: &StoredTemplate,
    components: &[TemplateComponent],
) -> Result<(), TemplateMismatch> {
    if !template.status.eq_ignore_ascii_case("APPROVED") {
        return Err(TemplateMismatch::NotApproved {
            name: template.name.clone(),
            status: template.status.clone(),
        });
    }
    let named = template
        .parameter_format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("NAMED"));
    for (label, meta_kind, kind) in [
        ("body", "BODY", TemplateComponentKind::Body),
        ("header", "HEADER", TemplateComponentKind::Header),
    ] {
        let want = expected(template, meta_kind);
        let got = supplied(components, &kind);
        if named {
            let names: BTreeSet<String> = got
                .iter()
                .filter_map(|p| match p {
                    TemplateParameter::Text { name: Some(n), .. } => Some(n.clone()),
                    _ => None,
                })
                .collect();
            if names != want || got.len() != want.len() {
                return Err(TemplateMismatch::Parameters(format!(
                    "{label} expects named parameters {want:?}, got {names:?}"
                )));
            }
        } else if got.len() != want.len() {
            return Err(TemplateMismatch::Parameters(format!(
                "{label} expects {} parameter(s), got {}",
                want.len(),
                got.len()
            )));
        }
        if got
            .iter()
            .any(|p| matches!(p, TemplateParameter::Text { text, .. } if text.trim().is_empty()))
        {
            return Err(TemplateMismatch::Parameters(format!(
                "{label} has an empty text parameter"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(format: &str, body: &str) -> StoredTemplate {
        StoredTemplate {
            waba_id: "1".into(),
            meta_id: "2".into(),
            name: "order_update".into(),
            language: "en".into(),
            status: "APPROVED".into(),
            category: "UTILITY".into(),
            components: json!([{"type": "BODY", "text": body}]),
            parameter_format: Some(format.into()),
            rejected_reason: None,
            updated_at: chrono::Utc::now(),
        }
    }

    fn body(params: &[(&str, Option<&str>)]) -> Vec<TemplateComponent> {
        vec![TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: params
                .iter()
                .map(|(t, n)| TemplateParameter::Text {
                    text: (*t).to_owned(),
                    name: n.map(str::to_owned),
                })
                .collect(),
        }]
    }

    #[test]
    fn positional_templates_need_exactly_their_parameter_count() {
        let t = template("POSITIONAL", "Hi {{1}}, order {{2}} is ready ({{1}})");
        assert!(check_parameters(&t, &body(&[("Ali", None), ("42", None)])).is_ok());
        let e = check_parameters(&t, &body(&[("Ali", None)])).err();
        assert!(matches!(e, Some(TemplateMismatch::Parameters(m)) if m.contains("expects 2")));
    }

    #[test]
    fn named_templates_need_their_names_and_only_approved_ones_go() {
        let mut t = template("NAMED", "Hi {{customer_name}}");
        assert!(check_parameters(&t, &body(&[("Ali", Some("customer_name"))])).is_ok());
        assert!(check_parameters(&t, &body(&[("Ali", Some("name"))])).is_err());
        t.status = "PAUSED".into();
        assert!(matches!(
            check_parameters(&t, &body(&[("Ali", Some("customer_name"))])),
            Err(TemplateMismatch::NotApproved { .. })
        ));
    }
}
