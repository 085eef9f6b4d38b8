"""What a verification says, in Kazakh, Russian and English (the API returns all three; the portal
shows the visitor's language). Keys are the stable codes of verdicts, reasons and notes."""

from __future__ import annotations

from qazai.core.text import LocalizedText
from qazai.labels.models import Finding


def _t(kk: str, ru: str, en: str) -> LocalizedText:
    return LocalizedText(kk=kk, ru=ru, en=en)


SUMMARIES: dict[str, LocalizedText] = {
    "trusted": _t(
        "Белгі бар және сенімді: мазмұнды төменде көрсетілген тізілімдегі "
        "ЖИ жүйесі жасаған және ол содан бері өзгермеген.",
        "Метка есть и она достоверна: содержимое создано указанной ниже "
        "ИИ-системой из реестра и с тех пор не менялось.",
        "Labelled and trusted: the content was made by the registered AI "
        "system shown below and has not changed since.",
    ),
    "untrusted": _t(
        "Белгі бар, бірақ оған сенуге болмайды: қол қоюшы платформаға "
        "белгісіз немесе оның сертификаты кері қайтарылған.",
        "Метка есть, но ей нельзя доверять: подписавший неизвестен платформе или его сертификат отозван.",
        "Labelled but not trusted: the signer is unknown to the platform or its certificate was revoked.",
    ),
    "invalid": _t(
        "Белгі бар, бірақ жарамсыз: мазмұн немесе белгі қол қойылғаннан кейін өзгертілген.",
        "Метка есть, но недействительна: содержимое или метка изменены после подписи.",
        "Labelled but invalid: the content or the label was changed after signing.",
    ),
    "registry_match": _t(
        "Файлда белгі жоқ, бірақ платформаның белгілер тізілімі бұл "
        "мазмұнды таниды: оны тізілімдегі ЖИ жүйесі жасаған.",
        "Встроенной метки нет, но реестр меток платформы знает это "
        "содержимое: его создала ИИ-система из реестра.",
        "No label inside, but the platform's label registry knows "
        "this content: a registered AI system made it.",
    ),
    "not_found": _t(
        "Ештеңе табылмады. Бұл ештеңені дәлелдемейді: мазмұнды белгісіз "
        "жасауға немесе белгіні алып тастауға болады.",
        "Ничего не найдено. Это ничего не доказывает: содержимое могли создать без метки или метку удалили.",
        "Nothing found. This proves nothing: the content may have been "
        "made without a label, or the label removed.",
    ),
}

FINDINGS: dict[str, LocalizedText] = {
    "signer_not_trusted": _t(
        "Қолтаңба сертификаты платформаның куәландырушы орталығынан емес.",
        "Сертификат подписи выдан не удостоверяющим центром платформы.",
        "The signing certificate was not issued by the platform's certificate authority.",
    ),
    "certificate_unknown": _t(
        "Қолтаңба сертификаты платформаның тізімінде жоқ.",
        "Сертификата подписи нет в списке платформы.",
        "The signing certificate is not in the platform's list of certificates.",
    ),
    "certificate_revoked": _t(
        "Қолтаңба сертификаты кері қайтарылған.",
        "Сертификат подписи отозван.",
        "The signing certificate has been revoked.",
    ),
    "not_a_platform_label": _t(
        "Қолтаңба бар, бірақ платформа белгісінің деректері жоқ.",
        "Подпись есть, но данных метки платформы нет.",
        "It is signed, but it carries no platform label data.",
    ),
    "content_changed": _t(
        "Мазмұн қол қойылғаннан кейін өзгертілген (хэш сәйкес емес).",
        "Содержимое изменено после подписи (хэш не совпадает).",
        "The content was changed after signing (the hash does not match).",
    ),
    "signature_invalid": _t(
        "Қолтаңба жарамсыз.",
        "Подпись недействительна.",
        "The signature is not valid.",
    ),
    "manifest_check_failed": _t(
        "C2PA тексерісі өтпеді: {code}.",
        "Проверка C2PA не пройдена: {code}.",
        "The C2PA check failed: {code}.",
    ),
    "mark_unreadable": _t(
        "Мәтінде көрінбейтін белгі бар, бірақ оны оқу мүмкін емес.",
        "В тексте есть невидимая метка, но её нельзя прочитать.",
        "The text carries an invisible mark, but it cannot be read.",
    ),
    "remote_manifest_not_fetched": _t(
        "Файл сыртқы мекенжайдағы манифестке сілтейді ({url}); тексеріс "
        "файлда аталған мекенжайларға ешқашан бармайды.",
        "Файл ссылается на внешний манифест ({url}); проверка никогда "
        "не обращается к адресам, указанным в файле.",
        "The file points at a manifest elsewhere ({url}); the check never fetches addresses named in a file.",
    ),
    "container_unreadable": _t(
        "C2PA кітапханасы файлды оқи алмады: {error}.",
        "Библиотека C2PA не смогла прочитать файл: {error}.",
        "The C2PA library could not read the file: {error}.",
    ),
    "invisible_characters_removed": _t(
        "Мәтіннен {count} көрінбейтін таңба алынып тасталды (нөлдік ендегі бос орындар, бағыт белгілері).",
        "Из текста удалено невидимых символов: {count} (пробелы нулевой ширины, знаки направления).",
        "{count} invisible characters (zero-width spaces, direction marks) were removed from the text.",
    ),
    "mixed_scripts": _t(
        "Кейбір сөздерде латын және кирилл әріптері араласқан "
        "({words}): мәтін жасырын өзгертілген болуы мүмкін.",
        "В некоторых словах смешаны латинские и кириллические буквы "
        "({words}): текст мог быть скрытно изменён.",
        "Some words mix Latin and Cyrillic letters ({words}): the "
        "text may have been altered to look the same.",
    ),
    "notice_without_label": _t(
        "Мәтінде платформаның ескертуі бар, бірақ оның мазмұнына сәйкес белгі жоқ: "
        "мәтін белгіленгеннен кейін өзгертілген немесе ескерту көшіріліп қойылған.",
        "В тексте есть уведомление платформы, но ни одна метка не совпадает с его содержимым: "
        "текст изменён после маркировки или уведомление скопировано.",
        "The text carries the platform's notice, but no label matches its content: the text was "
        "changed after labelling, or the notice was copied onto it.",
    ),
    "lookalikes_folded": _t(
        "Белгі латын мен кирилдің ұқсас әріптері бір жазуға келтірілгеннен кейін табылды: "
        "мәтіннің көшірмесі белгіленгеннен кейін әдейі өзгертілген.",
        "Метка найдена после приведения похожих латинских и кириллических букв к одному письму: "
        "копию текста намеренно изменили после маркировки.",
        "The label was found once look-alike Latin and Cyrillic letters were written in one script: "
        "this copy of the text was altered on purpose after labelling.",
    ),
    "registry_record_valid": _t(
        "Платформада сақталған қол қойылған жазба тексерілді.",
        "Подписанная запись, хранимая платформой, проверена.",
        "The signed record kept by the platform was verified.",
    ),
}


def finding(key: str, **details: str | int) -> Finding:
    """The finding ``key`` with its texts filled with ``details``."""
    template = FINDINGS[key]
    filled = LocalizedText(
        kk=(template.kk or "").format(**details),
        ru=(template.ru or "").format(**details),
        en=(template.en or "").format(**details),
    )
    return Finding(code=key, message=filled, details=dict(details))
