"""Romanisation of Ukrainian Cyrillic and diacritic folding for the sample generator.

`kmu2010` is the official Ukrainian national transliteration (Cabinet of Ministers
resolution 55 of 27 January 2010). `passport_style` and `russian_style` reproduce the
older, inconsistent romanisations seen in passports issued before 2010 and in records
made by people reading the name as Russian. All functions work word by word and keep
the capitalisation of the first letter.
"""
from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = "'’ʼ`"

# letter -> (form at the start of a word, form elsewhere)
_KMU = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e",
    "є": ("ye", "ie"), "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": ("yi", "i"),
    "й": ("y", "i"), "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": ("yu", "iu"), "я": ("ya", "ia"),
}

# pre-2010 passports (close to BGN/PCGN): y-glides everywhere, и -> y, й -> y
_PASSPORT = {
    **{k: v for k, v in _KMU.items() if isinstance(v, str)},
    "є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya",
}

# read as Russian: г -> g, и -> i, е -> e, ий -> iy
_RUSSIAN = {**_PASSPORT, "г": "g", "и": "i", "ї": "yi", "х": "kh"}


def _word(word: str, table: dict, kmu: bool) -> str:
    low = word.lower()
    out: list[str] = []
    i = 0
    while i < len(low):
        ch = low[i]
        if ch in _APOSTROPHES:
            i += 1
            continue
        if kmu and ch == "з" and low[i + 1 : i + 2] == "г":
            out.append("zgh")
            i += 2
            continue
        rep = table.get(ch, ch)
        if isinstance(rep, tuple):
            rep = rep[0] if i == 0 else rep[1]
        out.append(rep)
        i += 1
    text = "".join(out)
    if word[:1].isupper() and text:
        text = text[0].upper() + text[1:]
    return text


def _apply(text: str, table: dict, kmu: bool) -> str:
    return re.sub(r"[^\s\-]+", lambda m: _word(m.group(0), table, kmu), text)


def kmu2010(text: str) -> str:
    """Official Ukrainian national transliteration: Олександр -> Oleksandr."""
    return _apply(text, _KMU, True)


def passport_style(text: str) -> str:
    """Pre-2010 passport romanisation: Андрій -> Andriy, Юлія -> Yuliya."""
    return _apply(text, _PASSPORT, False)


def russian_style(text: str) -> str:
    """Romanised as if read as Russian: Гончаренко -> Goncharenko."""
    return _apply(text, _RUSSIAN, False)


def ukrainian_variants(cyrillic: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Distinct romanisations other than KMU 2010, most common first."""
    kmu = kmu2010(cyrillic)
    forms = list(extra) + [passport_style(cyrillic), russian_style(cyrillic)]
    if "ch" in kmu:
        forms.append(kmu.replace("ch", "tch"))  # French-style: Shevtchenko
    if "ks" in kmu:
        forms.append(kmu.replace("ks", "x"))  # Olexandr
    if kmu.endswith("yi"):
        forms.append(kmu[:-2] + "y")  # Kovalsky
    return [f for f in dict.fromkeys(forms) if f and f != kmu]


_FOLD_EXTRA = str.maketrans({
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ı": "i",
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
})


def fold(text: str) -> str:
    """Drop diacritics: Kovačič -> Kovacic, Łukasz -> Lukasz, Ștefan -> Stefan."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_ANGLICISE = str.maketrans({
    "č": "ch", "Č": "Ch", "ć": "ch", "Ć": "Ch", "š": "sh", "Š": "Sh", "ž": "zh",
    "Ž": "Zh", "ș": "sh", "Ș": "Sh", "ş": "sh", "Ş": "Sh", "ț": "ts", "Ț": "Ts",
    "ţ": "ts", "Ţ": "Ts",
})


def anglicise(text: str) -> str:
    """Replace diacritics as an English clerk might: Kovačič -> Kovacich.

    A final -ič/-ić becomes -ich and the rest is folded; otherwise the háček
    letters are spelt out (Žagar -> Zhagar).
    """
    if text.isascii():
        return text
    if text[-2:].lower() in ("ič", "ić"):
        return fold(text[:-1]) + "ch"
    return fold(text.translate(_ANGLICISE))
