"""The sections and sub-items of Annex IV of Regulation (EU) 2024/1689 (the AI Act).

Keys are the identifiers evidence items use (``"2(g)"``); values are short titles.

Example:
    >>> ANNEX_IV_SECTIONS["2(g)"]
    'Validation and testing procedures, metrics and dated test logs'
"""

from __future__ import annotations

ANNEX_IV_SECTIONS: dict[str, str] = {
    "1": "General description of the AI system",
    "2": "Detailed description of the elements of the AI system and of its development process",
    "2(a)": "Methods and steps of development, including pre-trained systems and third-party tools",
    "2(b)": "Design specifications: general logic, algorithms, key design choices and trade-offs",
    "2(c)": "System architecture and computational resources",
    "2(d)": "Data requirements and data sheets",
    "2(e)": "Human oversight measures, including technical measures to interpret outputs",
    "2(f)": "Pre-determined changes to the system and its performance",
    "2(g)": "Validation and testing procedures, metrics and dated test logs",
    "2(h)": "Cybersecurity measures",
    "3": "Monitoring, functioning and control: capabilities, limitations, accuracy, risks, input specifications",
    "4": "Appropriateness of the performance metrics",
    "5": "Risk-management system (Article 9)",
    "6": "Relevant changes made through the lifecycle",
    "7": "Harmonised standards and other specifications applied",
    "8": "Copy of the EU declaration of conformity (Article 47)",
    "9": "Post-market monitoring plan (Article 72)",
}
