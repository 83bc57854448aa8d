//! The dashboard's tables as CSV files that Excel opens correctly: UTF-8 with a byte-order
//! mark (without it, Excel reads Chinese as mojibake), CRLF line ends, fields quoted where
//! needed. Only figures that passed suppression reach a file, hidden ones as `<11`, as on the
//! page.

/// The byte-order mark that tells Excel the file is UTF-8.
pub const BOM: &str = "\u{feff}";

/// A CSV file of `rows`, the first being the header.
pub fn file(rows: &[Vec<String>]) -> String {
    let mut out = String::from(BOM);
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

fn field(text: &str) -> String {
    // A field a spreadsheet would run as a formula (a station named "=HYPERLINK(...)") is
    // kept as text by a leading apostrophe. "<11" starts with "<", which is not one of them.
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_starts_with_the_mark_and_quotes_what_needs_it() {
        let rows = vec![
            vec!["驿站".to_string(), "到访".to_string()],
            vec!["静安, 1号".to_string(), "<11".to_string()],
            vec!["say \"hi\"".to_string(), "12".to_string()],
            vec!["=1+1".to_string(), "-3".to_string()],
        ];
        assert_eq!(
            file(&rows),
            "\u{feff}驿站,到访\r\n\"静安, 1号\",<11\r\n\"say \"\"hi\"\"\",12\r\n'=1+1,'-3\r\n"
        );
    }
}
