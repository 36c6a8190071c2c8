"""Korean: Hangul for numbers (native before native counters, Sino-Korean otherwise), units, letters and codes."""

from __future__ import annotations

import re

from batchvideo_media.normalize.cjk import (
    _CJK_HYPHEN_RANGE,
    _COUNTER_HYPHEN,
    _DOTTED,
    _LEADING_ZERO,
    _LONG_DIGITS,
    _MODEL,
    _NEGATIVE,
    _TIME_RANGE,
    _VERSION,
    _ampm,
    _cjk_blood_pressures,
    _cjk_equations,
    _cjk_fractions,
    _cjk_scores,
    _cjk_shapes,
    _cjk_time_units,
    _currency_codes,
    _slash_dates,
)
from batchvideo_media.normalize.common import (
    _ISO_DATE,
    _RANGE,
    _THOUSANDS,
    _hyphen_ranges,
    _spell_acronyms,
    _spell_mixed_case,
    _watt_hours,
    _words,
)

# Counters read with native numerals below 100 (세 개, 두 시, 다섯 명): g2pK's list of bound nouns
# plus 명, 시간, 사람, 잔, 장, 가지, 달, other everyday ones (열 자루, 세 끼, 두 쌍, 네 자리), and a recipe's
# measures (두 큰술, 한 작은술, 세 컵). Not 편 or 부, which also number a part ("2편" 이 편).
_KO_NATIVE_COUNTERS = ("군데 권 개 그루 닢 대 두 마리 모 모금 발 발짝 방 번 벌 보루 살 술 시 시간 쌈 움큼 정 짝 채 척 첩 "
                       "축 켤레 톨 통 명 사람 잔 장 가지 달 배 병 곳 그릇 송이 알 조각 봉지 상자 바퀴 판 마디 걸음 줄 "
                       "자루 포기 쌍 끼 다발 묶음 접시 방울 뿌리 개비 차례 칸 곡 자리 "
                       "큰술 작은술 컵 스푼 숟가락 국자 꼬집").split()
_KO_ONES = ["", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉"]
_KO_TENS = ["", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔"]
# Latin letters as Korean says them (an acronym read by the Korean voice, not the English one). C is 시, as
# the National Institute of Korean Language spells it (엠비시, 시엔엔); the 씨 of logos is not the standard.
_KO_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                       "에이 비 시 디 이 에프 지 에이치 아이 제이 케이 엘 엠 엔 오 피 큐 알 에스 티 유 브이 더블유 엑스 와이 제트"
                       .split()))


# Units after a number, as Korean reads them (Sino-Korean numbers before them: 오 킬로미터).
_KO_UNITS = {"km": "킬로미터", "m": "미터", "cm": "센티미터", "mm": "밀리미터", "㎞": "킬로미터", "㎝": "센티미터",
             "㎜": "밀리미터", "km²": "제곱킬로미터", "m²": "제곱미터", "㎡": "제곱미터", "kg": "킬로그램", "㎏": "킬로그램",
             "g": "그램", "mg": "밀리그램", "t": "톤", "L": "리터", "l": "리터", "ml": "밀리리터", "mL": "밀리리터",
             "㎖": "밀리리터", "°C": "도", "℃": "도", "°": "도", "%": "퍼센트", "％": "퍼센트", "Hz": "헤르츠",
             "kHz": "킬로헤르츠", "MHz": "메가헤르츠", "GHz": "기가헤르츠", "KB": "킬로바이트", "kB": "킬로바이트",
             "MB": "메가바이트", "GB": "기가바이트", "TB": "테라바이트", "W": "와트", "kW": "킬로와트", "MW": "메가와트",
             "V": "볼트", "mAh": "밀리암페어시", "ha": "헥타르", "mmHg": "수은주밀리미터",
             "%p": "퍼센트포인트", "％p": "퍼센트포인트"}
# Speeds are said with 시속/초속 before the number: "100km/h" 시속 백 킬로미터.
_KO_SPEEDS = {"km/h": ("시속", "킬로미터"), "㎞/h": ("시속", "킬로미터"), "m/s": ("초속", "미터"),
              "KB/s": ("초당", "킬로바이트"), "MB/s": ("초당", "메가바이트"), "GB/s": ("초당", "기가바이트")}
_KO_CURRENCY = {"$": "달러", "US$": "달러", "€": "유로", "¥": "엔", "£": "파운드", "₩": "원"}
# Sino-Korean words that begin like a native counter (달러 is not 달, 번지 is not 번).
_KO_NOT_COUNTERS = ("달러", "번지", "정도", "대학", "시즌", "개국", "개사", "개소", "개교")
# A number before 번 and one of these is a label, said in Sino-Korean: "3번 출구" 삼 번 출구 (세 번 is three times).
_KO_NUMBERED = r"출구|문항|항목|구역|버스|게이트|타자|선수|홀|트랙|채널|국도|고속도로|문제|방|라인|승강장|창구|좌석|레인|테이블|카드|환자"
_KO_DIGITS = "공일이삼사오육칠팔구"  # digit by digit, 0 as 공 (phone numbers)
# Phone numbers: area or mobile prefix with 0 ("02-123-4567", "010-1234-5678") and the
# nationwide 15xx-18xx hotlines ("1588-1234").
_KO_PHONE = re.compile(r"(?<![\d\-])(?:0\d{1,2}-\d{3,4}-\d{4}|1[5-9]\d\d-\d{4})(?![\d\-])")


def _ko_native(n: int) -> str:
    return "스무" if n == 20 else _KO_TENS[n // 10] + _KO_ONES[n % 10]


def _ko_number(number: str) -> str:
    whole, _, fraction = number.partition(".")
    if fraction:  # digit by digit after 점, every digit said ("2.0" 이 점 영; num2words drops a final 0)
        return f"{_words(int(whole), 'ko')} 점 " + " ".join("영" if d == "0" else _words(int(d), "ko") for d in fraction)
    return _words(int(number), "ko")


# Service numbers said digit by digit (일일구), not as quantities: emergency and public lines.
_KO_SERVICE_NUMBERS = re.compile(r"(?<![\d.,])(112|119|114|110|120|182|1330|1339|1345|1366|1388)"
                                 # "120km/h" is a quantity; a comma or full stop after it ends a clause ("112, 119")
                                 r"(?!\d|[.,]\d|\s*[%명개원년월일시분초A-Za-z㎞㎡㎏℃°/]|[만억조])")


# Rates and energy after a number, read as Korean reads them (오백 메가비피에스, 삼백 킬로칼로리).
_KO_UNITS.update({"kcal": "킬로칼로리", "cal": "칼로리", "kbps": "킬로비피에스", "Mbps": "메가비피에스",
                  "Gbps": "기가비피에스", "㎢": "제곱킬로미터", "㎖": "밀리리터", "ppm": "피피엠"} | _watt_hours("킬로 메가 기가 테라", "와트시"))
# Word acronyms a Korean reads as a word, in Hangul (the voice would spell Latin letters).
_KO_WORD_ACRONYMS = {"NASA": "나사", "NATO": "나토", "UNESCO": "유네스코", "UNICEF": "유니세프", "OPEC": "오펙",
                     "FIFA": "피파", "ASEAN": "아세안", "APEC": "에이펙", "AIDS": "에이즈", "COVID": "코비드",
                     "IKEA": "이케아", "LEGO": "레고", "JPEG": "제이펙", "RAM": "램", "ROM": "롬", "LAN": "랜",
                     "SIM": "심", "PIN": "핀", "NAVER": "네이버", "KOSPI": "코스피", "KOSDAQ": "코스닥",
                     "SARS": "사스", "MERS": "메르스", "BRICS": "브릭스", "NAFTA": "나프타",
                     "OECD": "오이시디"}
_KO_PLAY = r"경기|이겼|이기|졌|승리|패배|패했|패하|비겼|무승부|스코어|득점|골|역전|리드|앞서|꺾|완승|완패|대승|대파"
# "20대" (in their twenties) is a decade of age, said in Sino-Korean (이십 대), not twenty machines.
_KO_MACHINES = r"차량|자동차|대수|버스|트럭|택시|비행기|항공기|컴퓨터|기계|로봇|드론|카메라|스마트폰|휴대폰"


def _ko_digits(number: str) -> str:
    return "".join(_KO_DIGITS[int(d)] for d in number)


def _ko_years(span: str) -> bool:
    """"1990-2000" is a range of years, not a 15xx-19xx hotline: both years, the second later."""
    first, _, second = span.partition("-")
    return len(first) == len(second) == 4 and 1900 <= int(first) < int(second) < 2100


def _ko_batchim(word: str) -> bool:
    """Whether the last syllable ends in a consonant, which picks a particle's form (과/와, 은/는)."""
    return bool((ord(word[-1]) - 0xAC00) % 28)


def _ko_and(word: str) -> str:
    """"and" in a mixed number: 과 after a final consonant, 와 after a vowel (이와 이분의 일)."""
    return word + ("과" if _ko_batchim(word) else "와")


def _ko_codes_and_dates(text: str) -> str:
    text = _cjk_time_units(text, {"ms": "밀리초", "min": "분", "s": "초", "h": "시간"})
    # A sprint time's hundredths after 초 ("10초07" 십 초 영칠): a leading 0 is said, as in a decimal.
    text = re.sub(r"(?<=\d초)(\d{2})(?![\d.])(?!\s*(?:[초분시명개]|미터))",
                  lambda m: " " + ("영" if m.group(1)[0] == "0" else "") + _ko_number(m.group(1).lstrip("0") or "0"), text)
    text = _LONG_DIGITS.sub(lambda m: _ko_digits(m.group()), text)
    text = _ampm(_VERSION.sub("버전 ", _cjk_shapes(_THOUSANDS.sub("", text))), "오전 ", "오후 ", "시")
    text = _currency_codes(text, {"USD": "달러", "EUR": "유로", "JPY": "엔", "CNY": "위안", "RMB": "위안", "KRW": "원",
                                  "GBP": "파운드", "HKD": "홍콩달러"}, " ")
    # Dates written with dashes, slashes or dots: "2024-12-25", "2024.12.25".
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}년 {int(m.group(2))}월 {int(m.group(3))}일", text)
    text = _DOTTED.sub(lambda m: " 점 ".join(_ko_number(n) for n in m.group().split(".")), text)
    text = _MODEL.sub(lambda m: m.group(1) + _ko_digits(m.group(2)), text)
    text = _TIME_RANGE.sub(r"\1 ~ ", text)
    # A range of weekdays, "월~금" 월요일부터 금요일까지; not months or days ("3월~5월").
    text = re.sub(r"(?<![\d가-힣])([월화수목금토일])(?:요일)?\s*[~〜～\-]\s*([월화수목금토일])(?:요일)?(?![가-힣])",
                  r"\1요일부터 \2요일까지", text)
    text = _COUNTER_HYPHEN.sub(r"\1 ~ ", text)
    text = re.sub(r"(번호|코드)(\s?(?:[:：]|는|은|가)?\s?)(\d+)(?![\d\-])", lambda m: m.group(1) + m.group(2) + _ko_digits(m.group(3)), text)
    text = _LEADING_ZERO.sub(lambda m: _ko_digits(m.group()), text)
    # A historical event named by its date with a middle dot (or a full stop) is said digit by digit before
    # the word for the event: "6·25 전쟁" 육이오, "3·1 운동" 삼일, "5·18 민주화운동" 오일팔, "4·19 혁명"
    # 사일구 (not 유월 이십오일). Two-digit months are not handled ("12·12 사태", 십이십이, is left as it was).
    text = re.sub(r"(?<![\d.,])([1-9])\s?[·・.]\s?([1-9]|[12]\d|3[01])(?![\d.,])(?=\s?(?:전쟁|운동|혁명|민주화|"
                  r"항쟁|광복|사태|의거|사변|참사))",
                  lambda m: _ko_digits(m.group(1) + m.group(2)), text)
    # Two decades of age written together name a generation, said digit by digit: "2030세대" 이공삼공 세대,
    # "7080 노래" (not 이천삼십: the next decade follows the first, 20 then 30).
    text = re.sub(r"(?<![\d.,])([1-8])0([2-9])0(?![\d.,])(?=\s?(?:세대|노래|음악|가요|감성|여성|남성|직장인))",
                  lambda m: _ko_digits(m.group()) if int(m.group(2)) == int(m.group(1)) + 1 else m.group(), text)
    return text


def _ko_topic(word: str) -> str:
    """The topic particle: 은 after a final consonant, 는 after a vowel (삼 곱하기 사는 십이)."""
    return word + ("은" if _ko_batchim(word) else "는")


def _ko_equals(left: str, minus: str, right: str) -> str:
    left = re.sub(r"\d+(?:\.\d+)?$", lambda m: _ko_topic(_ko_number(m.group())), left)
    return f"{left} {'마이너스 ' if minus else ''}{_ko_number(right)}"


def _ko_letters_and_phones(text: str) -> str:
    # An equation before the service numbers ("100+12=112" is not 일일이): "3×4=12" 삼 곱하기 사는 십이.
    text = _cjk_equations(text, {"+": " 더하기 ", "-": " 빼기 ", "×": " 곱하기 ", "÷": " 나누기 "}, _ko_equals)
    # A product or a size without one, "3×4m", "3m × 4m": 곱하기 (the sign is not spoken as it stands).
    text = re.sub(r"(?<=[\dA-Za-z²³㎡])\s?×\s?(?=\d)", " 곱하기 ", text)
    text = text.replace("±", "플러스마이너스 ")
    text = _cjk_fractions(text, lambda whole, top, bottom: (f"{_ko_and(_ko_number(whole))} " if whole else "")
                      + f"{_ko_number(str(bottom))}분의 {_ko_number(str(top))}")
    text = _slash_dates(text, "월 ", "일")
    # Earthquake magnitude "M6.1" 규모 육 점 일.
    if re.search(r"지진|진도|진앙|진원|여진|쓰나미|해일", text):  # not Apple's "M1"
        text = re.sub(r"(?:규모\s?)?(?<![A-Za-z])M\s?(?=\d(?:\.\d)?(?![\d.]))", "규모 ", text)
    text = re.sub(r"(?<![A-Za-z])(" + "|".join(_KO_WORD_ACRONYMS) + r")(?![A-Za-z])",
                  lambda m: _KO_WORD_ACRONYMS[m.group(1)], text)
    text = _spell_mixed_case(text, _KO_LETTERS)
    # A model letter joined to its number: "S24" 에스 이십사, "A4" 에이 사.
    text = re.sub(r"(?<![A-Za-z])([A-Z])(?=\d|[공일이삼사오육칠팔구]{3})", lambda m: _KO_LETTERS[m.group(1)] + " ", text)
    text = re.sub(r"[(（]주[)）]|㈜", "주식회사 ", text)  # a company's legal form, as it is read
    text = _KO_SERVICE_NUMBERS.sub(lambda m: "".join(_KO_DIGITS[int(d)] for d in m.group()), text)
    # A blood pressure is said with 에, 수축기 에 이완기 ("120/80" 백이십에 팔십).
    text = _cjk_blood_pressures(text, lambda high, low: f"{high}에 {low}")
    text = _KO_PHONE.sub(lambda m: m.group() if _ko_years(m.group()) else ", ".join(
        "".join(_KO_DIGITS[int(d)] for d in group) for group in m.group().split("-")), text)
    return text


# The half of the day a time may start with, "오전 10시", "오후 8시".
_KO_DAY_HALF = r"(?:오전|오후|새벽|아침|낮|저녁|밤)\s?"


def _ko_scores_and_ranges(text: str) -> str:
    text = _cjk_scores(text, lambda first, second: f"{_ko_number(first)} 대 {_ko_number(second)}", _KO_PLAY)
    text = re.sub(r"(?<![\d.])(\d{1,3})\s?대\s?(\d{1,3})(?![\d.])",  # a score written "3대 1"
                  lambda m: f"{_ko_number(m.group(1))} 대 {_ko_number(m.group(2))}", text)
    if not re.search(_KO_MACHINES, text):
        text = re.sub(r"(?<![\d.])([1-9]0)(?=\s?대)", lambda m: _ko_number(m.group(1)) + " ", text)
    # 만, 천 and 백 alone are one of them: "1만 원" 만 원, "1천만" 천만 (but 일억).
    text = re.sub(r"(?<![\d.])1\s?(?=[천백만])", "", text)
    text = _hyphen_ranges(text, " ~ ", pattern=_CJK_HYPHEN_RANGE)
    text = _RANGE.sub(" ~ ", text)
    # A range after a number's counter, "9시~17시", "3일~5일".
    # The second may start with its half of the day, "오전 10시~오후 8시".
    text = re.sub(rf"(\d\s?[가-힣]{{1,2}})\s*[~～〜]\s*(?=(?:{_KO_DAY_HALF})?\d)", r"\1 ~ ", text)
    # A range before a native counter repeats it, "10~20명" 열 명에서 스무 명 (each number takes its form).
    counters = "|".join(sorted(_KO_NATIVE_COUNTERS, key=len, reverse=True))
    text = re.sub(rf"(\d{{1,2}}) ~ (\d{{1,2}})\s?({counters})(?![가-힣]*[일월년])", r"\1\3 ~ \2\3", text)
    # A range of times is said 부터 … 까지 ("9:00~18:00" 아홉 시부터 십팔 시까지), as a schedule is read
    # (not before 에 or 사이, "9시~10시 사이", nor where 까지 is written).
    clock = r"\d{1,2}(?::\d\d|시(?:\s?\d{1,2}분)?)"
    text = re.sub(rf"(?<![\d:])({clock}) ~ ((?:{_KO_DAY_HALF})?{clock})(?![\d:])(?!\s?(?:까지|에|사이))",
                  r"\1부터 \2까지", text)
    text = text.replace(" ~ ", "에서 ")
    return text


def _ko_times_and_money(text: str) -> str:
    # Times after the ranges (a range's "~" needs the digits): "15:30" 열다섯 시 삼십 분.
    text = re.sub(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])",
                  lambda m: f"{int(m.group(1))}시" + (f" {int(m.group(2))}분" if int(m.group(2)) else ""), text)
    # A weekday in brackets after a date: "5일(화)" 오 일 화요일.
    text = re.sub(r"(?<=[일\d])\s*[(（]([월화수목금토일])[)）]", r" \1요일", text)
    # 6월 and 10월 drop a sound: 유월, 시월.
    text = re.sub(r"(?<![\d.])(6|10)\s?월", lambda m: "유월" if m.group(1) == "6" else "시월", text)
    symbols = "|".join(map(re.escape, sorted(_KO_CURRENCY, key=len, reverse=True)))

    def money(m: re.Match) -> str:
        unit, (whole, _, cents) = _KO_CURRENCY[m.group(1)], m.group(2).partition(".")
        if len(cents) == 2 and unit in ("달러", "유로"):  # "$12.50" 십이 달러 오십 센트
            return f"{whole} {unit}" + (f" {int(cents)} 센트" if int(cents) else "")
        return f"{m.group(2)} {unit}"

    text = re.sub(rf"({symbols})\s?(\d+(?:\.\d+)?)", money, text)
    text = re.sub(r"(\d+)\.(\d\d)\s?(달러|유로)", lambda m: f"{m.group(1)} {m.group(3)}"  # "12.50달러"
                  + (f" {int(m.group(2))} 센트" if int(m.group(2)) else ""), text)
    return text


def _ko_counted(m: re.Match) -> str:
    """A number before a native counter in native numerals (세 개, 두 시), but an hour of the 24-hour
    clock from 13 on in Sino-Korean, as broadcasters say it ("23시" 이십삼 시; "3시" stays 세 시)."""
    number, counter = int(m.group(1)), m.group(2)
    if counter == "시" and 13 <= number <= 24:
        return f"{_ko_number(m.group(1))} {counter}"
    return f"{_ko_native(number)} {counter}" if 0 < number < 100 else m.group()


# Baseball's counts are said with English numerals: "2아웃" 투 아웃, "3볼 2스트라이크" 쓰리 볼 투 스트라이크.
_KO_BASEBALL = re.compile(r"(?<![\d.])([0-4])\s?(아웃|볼|스트라이크)")
_KO_ENGLISH_NUMERALS = ("노", "원", "투", "쓰리", "포")


def _ko_counters_and_units(text: str) -> str:
    text = _KO_BASEBALL.sub(lambda m: f"{_KO_ENGLISH_NUMERALS[int(m.group(1))]} {m.group(2)}", text)
    text = re.sub(r"(?<!\d)1\s?번째", "첫 번째", text)  # the first is 첫 번째, not 한 번째
    text = re.sub(rf"(?<![\d.])(\d+)\s?번(?=\s?(?:{_KO_NUMBERED}))", lambda m: f"{_ko_number(m.group(1))} 번", text)
    speeds = "|".join(map(re.escape, _KO_SPEEDS))
    text = re.sub(rf"(시속\s*|초속\s*)?(\d+(?:\.\d+)?)\s?({speeds})",
                  lambda m: f"{_KO_SPEEDS[m.group(3)][0]} {_ko_number(m.group(2))} {_KO_SPEEDS[m.group(3)][1]}", text)
    text = re.sub(r"(?<![\w.])[-−](?=\d+(?:\.\d+)?\s?(?:°C|℃|°|도))", "영하 ", text)
    text = _NEGATIVE.sub("마이너스 ", text)
    units = "|".join(map(re.escape, sorted(_KO_UNITS, key=len, reverse=True)))
    text = re.sub(rf"(\d+(?:\.\d+)?)\s?({units})(?![A-Za-z])",
                  lambda m: f"{_ko_number(m.group(1))} {_KO_UNITS[m.group(2)]}", text)
    text = _spell_acronyms(text, _KO_LETTERS)
    counters = "|".join(sorted(_KO_NATIVE_COUNTERS, key=len, reverse=True))
    not_counters = "|".join(_KO_NOT_COUNTERS)
    text = re.sub(rf"(?<![\d.제])(\d{{1,2}})\s?(?!{not_counters})({counters})(?![가-힣]*[일월년])", _ko_counted, text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s?(?=[가-힣])", lambda m: _ko_number(m.group(1)) + " ", text)
    return re.sub(r"\d+(?:\.\d+)?", lambda m: _ko_number(m.group()), text)


_KO_PASSES = (_ko_codes_and_dates, _ko_letters_and_phones, _ko_scores_and_ranges, _ko_times_and_money, _ko_counters_and_units)


def _korean(text: str) -> str:
    """The passes in order: codes and dates, letters and phone numbers, scores and ranges (their
    "~" needs the digits), times and money, then counters, units and the numbers left."""
    for step in _KO_PASSES:
        text = step(text)
    return text
