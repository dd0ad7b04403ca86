//! Helpers for tests that drive the simulator like a browser would.

/// Finds the consent page's Continue (`allow`) or Cancel form and returns its `action`
/// (relative to the dialog URL) and its hidden fields, ready to POST as a form. A browser
/// does the same when the user presses the button; tests without a browser use this.
#[must_use]
pub fn consent_form(html: &str, allow: bool) -> Option<(String, Vec<(String, String)>)> {
    let wanted = if allow { "continue" } else { "cancel" };
    html.split("<form").skip(1).find_map(|chunk| {
        let form = chunk.split("</form>").next()?;
        let action = attr(form, "action")?;
        let fields: Vec<(String, String)> = form
            .split("<input")
            .skip(1)
            .filter_map(|input| Some((attr(input, "name")?, attr(input, "value")?)))
            .collect();
        fields
            .iter()
            .any(|(k, v)| k == "decision" && v == wanted)
            .then_some((action, fields))
    })
}

/// The value of `name="..."` in the first tag of `tag`, unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let head = tag.split('>').next()?;
    let start = head.find(&format!("{name}=\""))? + name.len() + 2;
    let value = &head[start..];
    let end = value.find('"')?;
    Some(
        value[..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_continue_and_cancel_forms_are_told_apart() {
        let html = r#"<p>x</p><form method="post" action="oauth/decision"><input type="hidden" name="dialog_id" value="d&amp;1"><input type="hidden" name="decision" value="continue"><button>Continue</button></form>
            <form method="post" action="oauth/decision"><input type="hidden" name="dialog_id" value="d&amp;1"><input type="hidden" name="decision" value="cancel"></form>"#;
        let (action, fields) = consent_form(html, true).unwrap_or_default();
        assert_eq!(action, "oauth/decision");
        assert_eq!(
            fields,
            vec![
                ("dialog_id".to_owned(), "d&1".to_owned()),
                ("decision".to_owned(), "continue".to_owned())
            ]
        );
        let (_, fields) = consent_form(html, false).unwrap_or_default();
        assert_eq!(fields[1].1, "cancel");
        assert_eq!(consent_form("<p>no form</p>", true), None);
    }
}
