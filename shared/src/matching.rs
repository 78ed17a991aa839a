//! Normalised forms of a candidate's name and phone number. They decide which
//! candidates count as duplicates and which ones an inbox item is suggested to, so the
//! server and the migration that backfills existing rows must compute them alike.

/// Lower-case first and last name, single-spaced: "Max  MÜLLER" → "max müller".
pub fn name_key(first_name: &str, last_name: &str) -> String {
    let joined = format!("{first_name} {last_name}");
    joined.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The last nine digits of a phone number, or `None` with fewer than seven digits.
///
/// Recruiters type numbers in national form ("0170 1234567") as often as in
/// international form ("+49 170 1234567"); without a reliable country, comparing the
/// subscriber end makes both meet. Nine digits keep false matches between different
/// people negligible.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return None;
    }
    let tail = digits.len().saturating_sub(9);
    Some(digits[tail..].to_owned())
}

/// Everything the candidate list's free-text search looks at, lower-cased in one
/// column so that a search is one `LIKE` per row on both databases.
pub fn search_text(first_name: &str, last_name: &str, emails: &[String], phone: Option<&str>) -> String {
    let mut text = name_key(first_name, last_name);
    for email in emails {
        text.push(' ');
        text.push_str(&email.to_lowercase());
    }
    if let Some(phone) = phone {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            text.push(' ');
            text.push_str(&digits);
        }
    }
    text
}

/// A phone number stated on a labelled line of a mail ("Tel.: +49 170 1234567",
/// "Mobil 0170/1234567"). Unlabelled digit runs are ignored: they are as often dates,
/// reference numbers or postcodes.
pub fn phone_in_text(text: &str) -> Option<String> {
    const LABELS: [&str; 8] = ["telefon", "tel", "phone", "mobil", "mobile", "handy", "cell", "fon"];
    for line in text.lines().take(2_000) {
        let lower = line.trim().to_lowercase();
        // A number in the quoted history is the recruiter's own, not the writer's.
        if is_quote_header(&lower) {
            break;
        }
        if lower.starts_with('>') {
            continue;
        }
        for label in LABELS {
            for (at, _) in lower.match_indices(label) {
                // A label starts a word ("Hotel" is not one) and only punctuation stands
                // between it and the number ("Tel.: ", "Mobil ").
                if lower[..at].chars().next_back().is_some_and(char::is_alphanumeric) {
                    continue;
                }
                let rest = &lower[at + label.len()..];
                let Some(start) = rest.find(|c: char| c.is_alphanumeric() || c == '+') else {
                    continue;
                };
                if rest[start..].starts_with(|c: char| c.is_alphabetic()) {
                    continue;
                }
                let number: String = rest[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '/' | '-' | '(' | ')' | '.'))
                    .collect();
                let number = number.trim().trim_end_matches(['-', '/', '.', '(']).trim();
                let digits = number.chars().filter(char::is_ascii_digit).count();
                if (7..=15).contains(&digits) {
                    return Some(number.to_owned());
                }
            }
        }
    }
    None
}

/// Where the quoted earlier mail of a reply begins ("Am … schrieb …:", "On … wrote:",
/// Outlook's "-----Original Message-----" or "Von: … " block).
fn is_quote_header(lower: &str) -> bool {
    (lower.starts_with("am ") && lower.contains("schrieb"))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
        || lower.contains("-----original message-----")
        || lower.contains("-----ursprüngliche nachricht-----")
        || lower.starts_with("von: ")
        || lower.starts_with("from: ")
}

/// Splits a display name into first and last name: "Max Mustermann", "Mustermann, Max",
/// "Dr. Max von Mustermann". A single word becomes the last name.
pub fn split_display_name(display_name: &str) -> (String, String) {
    let cleaned: String = display_name
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '<' | '>'))
        .collect();
    if let Some((last, first)) = cleaned.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        if !first.is_empty() && !last.is_empty() {
            return (first.to_owned(), last.to_owned());
        }
    }
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|word| {
            !matches!(
                word.to_lowercase().as_str(),
                "dr." | "dr" | "prof." | "prof" | "herr" | "frau" | "mr." | "mrs." | "ms."
            )
        })
        .collect();
    match words.as_slice() {
        [] => (String::new(), String::new()),
        [only] => (String::new(), (*only).to_owned()),
        [first, rest @ ..] => {
            // Name particles belong to the last name ("Max von Mustermann").
            let particles = ["von", "van", "de", "der", "zu", "di", "da", "del", "le", "la"];
            let mut split = rest.len() - 1;
            while split > 0 && particles.contains(&rest[split - 1].to_lowercase().as_str()) {
                split -= 1;
            }
            let mut first_name = vec![*first];
            first_name.extend_from_slice(&rest[..split]);
            (first_name.join(" "), rest[split..].join(" "))
        }
    }
}

/// Similarity of two names between 0 and 1 (Jaro-Winkler on the name keys, the better
/// of both word orders, so "Müller Max" and "Max Müller" meet).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let a = a.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let b = b.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let reversed: String = b.rsplit(' ').collect::<Vec<_>>().join(" ");
    strsim::jaro_winkler(&a, &b).max(strsim::jaro_winkler(&a, &reversed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_national_and_international_form_meet() {
        assert_eq!(phone_key("+49 170 1234567"), phone_key("0170/123 45 67"));
        assert_eq!(phone_key("0049 (170) 1234567"), Some("701234567".to_owned()));
        assert_eq!(phone_key("112"), None);
        assert_ne!(phone_key("+49 170 1234567"), phone_key("+49 170 1234568"));
    }

    #[test]
    fn phone_numbers_are_read_from_labelled_lines_only() {
        assert_eq!(
            phone_in_text("Grüße\nMax\nTel.: +49 170 1234567\n"),
            Some("+49 170 1234567".to_owned())
        );
        assert_eq!(
            phone_in_text("Mobil 0170/123 45 67, abends"),
            Some("0170/123 45 67".to_owned())
        );
        assert_eq!(phone_in_text("Bewerbung vom 12.03.2026, Kennziffer 4711-2026"), None);
        assert_eq!(phone_in_text("Telefon: 112"), None);
        assert_eq!(phone_in_text("Hotelfachfrau, Automobil 2010-2015"), None);
        let reply = "Danke!\n\nAm 30.11.2026 schrieb Jobs <jobs@firma.example>:\n> Tel.: +49 30 1234567\n";
        assert_eq!(phone_in_text(reply), None, "the quoted signature is the company's");
        assert_eq!(
            phone_in_text("> Tel.: +49 30 1234567\nMobil: 0170 1234567"),
            Some("0170 1234567".to_owned())
        );
    }

    #[test]
    fn display_names_split_into_first_and_last_name() {
        assert_eq!(
            split_display_name("Max Mustermann"),
            ("Max".into(), "Mustermann".into())
        );
        assert_eq!(
            split_display_name("Mustermann, Max"),
            ("Max".into(), "Mustermann".into())
        );
        assert_eq!(
            split_display_name("Dr. Anna Maria von der Heide"),
            ("Anna Maria".into(), "von der Heide".into())
        );
        assert_eq!(
            split_display_name("\"Jana Neumann\""),
            ("Jana".into(), "Neumann".into())
        );
        assert_eq!(split_display_name("jobs"), (String::new(), "jobs".into()));
    }

    #[test]
    fn similar_names_score_high_and_different_ones_low() {
        assert!((name_similarity("Max Müller", "max  müller") - 1.0).abs() < f64::EPSILON);
        assert!(name_similarity("Müller Max", "Max Müller") > 0.99);
        assert!(name_similarity("Max Mueller", "Max Müller") > 0.9);
        assert!(name_similarity("Max Müller", "Petra Schulz") < 0.6);
        assert_eq!(name_similarity("", "Max"), 0.0);
    }

    #[test]
    fn search_text_holds_names_addresses_and_digits() {
        let text = search_text("Max", "MÜLLER", &["Max@Example.org".into()], Some("+49 170 1234567"));
        assert_eq!(text, "max müller max@example.org 491701234567");
    }
}
