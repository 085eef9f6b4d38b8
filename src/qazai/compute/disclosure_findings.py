"""The findings of the airlock's disclosure checks: typed, placed on a cell, worded in kk/ru/en. Pure."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from qazai.core.text import LocalizedText


class Severity(StrEnum):
    suppress = "suppress"  # primary suppression: the cell is hidden in the safe version
    secondary = "secondary"  # hidden so that totals cannot give back a suppressed cell
    review = "review"  # a reviewer must look at it; nothing is changed
    blocking = "blocking"  # the file (as it is) cannot be released


class FindingCode(StrEnum):
    threshold = "threshold"
    dominance = "dominance"
    p_percent = "p_percent"
    secondary = "secondary"
    zero = "zero"
    small_difference = "small_difference"
    cross_difference = "cross_difference"
    negative = "negative"
    missing_value = "missing_value"
    unchecked_measure = "unchecked_measure"
    contributions_in_table = "contributions_in_table"
    undeclared = "undeclared"
    declaration_invalid = "declaration_invalid"
    unreadable = "unreadable"
    too_large = "too_large"
    not_tabular = "not_tabular"


class Finding(BaseModel):
    """One thing the checks found, placed in the file (0-based data row, column name) when it is a cell."""

    model_config = ConfigDict(frozen=True)

    code: FindingCode
    severity: Severity
    path: str
    row: int | None = None
    column: str | None = None
    message: LocalizedText
    values: dict[str, float | int | str] = Field(default_factory=dict)


_MESSAGES: dict[FindingCode, tuple[str, str, str]] = {
    # (kk, ru, en); str.format with the finding's values
    FindingCode.threshold: (
        "Ұяшықта {count} бақылау бар — ең аз шектен ({min}) кем",
        "В ячейке {count} наблюдений — меньше минимума ({min})",
        "{count} contributors in this cell, fewer than the minimum of {min}",
    ),
    FindingCode.dominance: (
        "Ең ірі {n} үлес ұяшықтың {share} құрайды — {k} шегінен көп",
        "{n} крупнейших вклада составляют {share} ячейки — больше предела {k}",
        "the {n} largest contributions make {share} of this cell, more than {k}",
    ),
    FindingCode.p_percent: (
        "Қалған үлестер ең ірі үлестің тек {rest} құрайды ({p} кем): екінші ірі үлес иесі ең ірісін "
        "тым дәл бағалай алады",
        "Остальные вклады составляют лишь {rest} крупнейшего (меньше {p}): второй по величине может "
        "слишком точно оценить крупнейший",
        "the other contributions make only {rest} of the largest (less than {p}): the second largest "
        "contributor could estimate the largest too closely",
    ),
    FindingCode.secondary: (
        "Қосымша жасырылды: әйтпесе {dimension} бойынша қорытынды жасырын ұяшықты ашып береді",
        "Скрыта дополнительно: иначе итог по «{dimension}» позволил бы восстановить скрытую ячейку",
        "suppressed as well: otherwise the total along '{dimension}' would give a suppressed cell back",
    ),
    FindingCode.zero: (
        "Нөлдік ұяшық: топтағы ешкімде бұл белгі жоқ немесе барлығының мәні нөл екенін ашады",
        "Нулевая ячейка: раскрывает, что ни у кого в группе нет признака или что у всех значение ноль",
        "a zero cell: it tells that nobody in the group has the attribute, or that everyone's value is zero",
    ),
    FindingCode.small_difference: (
        "Қорытынды ұяшықтар қосындысынан {difference}-ге артық — {min}-ден кем: айырма шағын топты ашады",
        "Итог больше суммы ячеек на {difference} — меньше {min}: разность раскрывает малую группу",
        "the total exceeds the sum of its cells by {difference}, fewer than {min}: the difference "
        "discloses a small group",
    ),
    FindingCode.cross_difference: (
        "Бұл ұяшық {other} файлындағы сол ұяшықтан {difference}-ге ерекшеленеді — {min}-ден кем: екеуі бірге "
        "шағын топты ашады",
        "Эта ячейка отличается от той же ячейки в {other} на {difference} — меньше {min}: вместе они "
        "раскрывают малую группу",
        "this cell differs from the same cell of {other} by {difference}, fewer than {min}: together they "
        "disclose a small group",
    ),
    FindingCode.negative: (
        "Теріс үлестер бар: басымдық пен p% ережелері анықталмайды, қолмен тексеріңіз",
        "Есть отрицательные вклады: правила доминирования и p% не определены, проверьте вручную",
        "negative contributions: dominance and the p % rule are not defined, check by hand",
    ),
    FindingCode.missing_value: (
        "«{column}» бағанында мән жоқ: неге жоқ екенін тексеріңіз",
        "В столбце «{column}» нет значения: проверьте, почему",
        "a missing value in column '{column}': check why it is missing",
    ),
    FindingCode.unchecked_measure: (
        "«{column}» бағаны ережелермен тексерілмеген өлшем (үлестері жарияланбаған): жасырын жолмен бірге "
        "жасырылады; оны sidecar файлында жариялаңыз",
        "Столбец «{column}» — показатель, который правила не проверили (вклады не объявлены): он "
        "скрывается вместе со строкой; объявите его в файле-описании",
        "column '{column}' is a measure the rules could not check (no contributions declared): it is "
        "hidden with its row; declare it in the sidecar",
    ),
    FindingCode.contributions_in_table: (
        "«{column}» бағанында жеке үлестер бар: ол ешқашан шығарылмайды (қауіпсіз нұсқада жоқ)",
        "Столбец «{column}» содержит отдельные вклады: он никогда не выпускается "
        "(в безопасной версии его нет)",
        "column '{column}' holds individual contributions: it is never released (the safe version drops it)",
    ),
    FindingCode.undeclared: (
        "Кестенің құрылымы танылмады: оны {name}.sdc.json файлымен сипаттаңыз, әйтпесе тексеруші шығаруды "
        "жазбаша негіздеуі керек",
        "Структура таблицы не распознана: опишите её файлом {name}.sdc.json, иначе проверяющий должен "
        "письменно обосновать выпуск",
        "the table's layout was not recognised: declare it with {name}.sdc.json, or a reviewer must "
        "justify its release in writing",
    ),
    FindingCode.declaration_invalid: (
        "Кесте сипаттамасы қате: {reason}",
        "Описание таблицы неверно: {reason}",
        "the table's declaration is wrong: {reason}",
    ),
    FindingCode.unreadable: (
        "Файлды {format} ретінде оқу мүмкін емес ({reason}): бүлінген немесе жартылай жазылған файл "
        "ешқашан шығарылмайды",
        "Файл не читается как {format} ({reason}): повреждённый или недописанный файл никогда не выпускается",
        "the file cannot be read as {format} ({reason}): a damaged or half-written file is never released",
    ),
    FindingCode.too_large: (
        "Кестеде {cells} ұяшық бар, тексеру шегі {max}: тексеруші шығаруды жазбаша негіздеуі керек",
        "В таблице {cells} ячеек, предел проверки {max}: проверяющий должен письменно обосновать выпуск",
        "the table has {cells} cells, more than the {max} the checks take: a reviewer must justify its "
        "release in writing",
    ),
    FindingCode.not_tabular: (
        "Кесте емес (сурет, модель салмақтары т.б.): тексеруші шығаруды жазбаша негіздеуі керек",
        "Не таблица (рисунок, веса модели и т. п.): проверяющий должен письменно обосновать выпуск",
        "not a table (a figure, model weights...): a reviewer must justify its release in writing",
    ),
}


def finding(
    code: FindingCode,
    severity: Severity,
    path: str,
    *,
    row: int | None = None,
    column: str | None = None,
    **values: float | int | str,
) -> Finding:
    """A finding with its message in Kazakh, Russian and English."""
    kk, ru, en = (template.format(column=column, **values) for template in _MESSAGES[code])
    return Finding(
        code=code,
        severity=severity,
        path=path,
        row=row,
        column=column,
        message=LocalizedText(kk=kk, ru=ru, en=en),
        values=dict(values),
    )


# Values that come from the data (a cell's count, a share of its total, a hidden group's size); the
# thresholds and names beside them are public.
DATA_VALUES = frozenset({"count", "share", "rest", "difference"})


def redacted(item: Finding) -> Finding:
    """``item`` without the figures taken from the data: what a requester may see of a held table
    (where the problem is and which rule, not the small count itself)."""
    if not DATA_VALUES & item.values.keys():
        return item
    values: dict[str, float | int | str] = {
        k: ("…" if k in DATA_VALUES else v) for k, v in item.values.items()
    }
    kk, ru, en = (template.format(column=item.column, **values) for template in _MESSAGES[item.code])
    kept = {k: v for k, v in item.values.items() if k not in DATA_VALUES}
    return item.model_copy(update={"message": LocalizedText(kk=kk, ru=ru, en=en), "values": kept})
