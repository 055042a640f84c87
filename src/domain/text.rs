//! Turkish text: folding for matching, loose name keys.

use unicode_normalization::UnicodeNormalization;

/// Turkish-aware lower case: `İ`→`i`, `I`→`ı`, the rest as Unicode says.
pub fn turkish_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfc() {
        match c {
            'İ' => out.push('i'),
            'I' => out.push('ı'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Folds text for matching: NFC, Turkish lower case, Turkish letters to
/// ASCII (ç→c, ğ→g, ı→i, ö→o, ş→s, ü→u, â→a, î→i, û→u), punctuation to
/// spaces, whitespace collapsed. `"Şehitkamil, KARATAŞ Mh."` → `"sehitkamil karatas mh"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in turkish_lower(s).chars() {
        let mapped = match c {
            'ç' => 'c',
            'ğ' => 'g',
            'ı' | 'î' | 'ì' | 'í' => 'i',
            'ö' | 'ò' | 'ó' => 'o',
            'ş' => 's',
            'ü' | 'û' | 'ù' | 'ú' => 'u',
            'â' | 'à' | 'á' | 'ä' => 'a',
            'é' | 'è' | 'ê' => 'e',
            // Combining marks left after NFC (e.g. a stray dot above).
            '\u{0300}'..='\u{036f}' => continue,
            c if c.is_alphanumeric() => c,
            _ => {
                pending_space = !out.is_empty();
                continue;
            }
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(mapped);
    }
    out
}
