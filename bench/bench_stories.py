# ruff: noqa: E501  (data: one story per line reads better than wrapped strings)
"""Hand-written stories for `bench/alerts.py --calibrate`: (story, language, title, text)."""

from __future__ import annotations

STORIES: list[tuple[str, str, str, str]] = [
    (
        "mou",
        "en",
        "Korea and Indonesia sign MOU on telemedicine cooperation",
        "The health ministers of South Korea and Indonesia signed a memorandum of understanding in Jakarta on Tuesday to expand telemedicine services to remote islands and train Indonesian doctors in digital health.",
    ),
    (
        "mou",
        "ko",
        "한국-인도네시아, 원격의료 협력 양해각서 체결",
        "한국과 인도네시아 보건장관은 화요일 자카르타에서 원격의료 서비스를 외딴 섬으로 확대하고 인도네시아 의사들에게 디지털 헬스 교육을 제공하는 양해각서를 체결했다.",
    ),
    (
        "mou",
        "id",
        "Indonesia dan Korea teken nota kesepahaman telemedisin",
        "Menteri Kesehatan Indonesia dan Korea Selatan menandatangani nota kesepahaman di Jakarta pada Selasa untuk memperluas layanan telemedisin ke pulau-pulau terpencil dan melatih dokter Indonesia di bidang kesehatan digital.",
    ),
    (
        "dengue",
        "en",
        "Vietnam and Japan launch joint dengue vaccine trial",
        "Vietnam's Ministry of Health and Japan's JICA started a joint clinical trial of a dengue vaccine in Hanoi and Ho Chi Minh City, enrolling 5,000 children.",
    ),
    (
        "dengue",
        "vi",
        "Việt Nam và Nhật Bản khởi động thử nghiệm vắc xin sốt xuất huyết",
        "Bộ Y tế Việt Nam và JICA Nhật Bản bắt đầu thử nghiệm lâm sàng chung vắc xin sốt xuất huyết tại Hà Nội và TP Hồ Chí Minh với 5.000 trẻ em tham gia.",
    ),
    (
        "dengue",
        "ja",
        "ベトナムと日本、デング熱ワクチンの共同治験を開始",
        "ベトナム保健省と日本のJICAは、ハノイとホーチミン市でデング熱ワクチンの共同臨床試験を開始し、5000人の子どもが参加する。",
    ),
    (
        "amr",
        "en",
        "WHO and China agree plan to curb antimicrobial resistance",
        "The World Health Organization and China's National Health Commission agreed a five-year plan to reduce antibiotic use in hospitals and farms and strengthen surveillance of drug-resistant infections.",
    ),
    (
        "amr",
        "zh",
        "世卫组织与中国就遏制抗微生物药物耐药性达成计划",
        "世界卫生组织与中国国家卫生健康委员会商定一项五年计划，减少医院和农场的抗生素使用，并加强耐药感染监测。",
    ),
    (
        "ageing",
        "en",
        "Thailand and Korea to cooperate on long-term care for older people",
        "Thailand's public health ministry and Korea's health ministry will exchange experts and pilot community-based long-term care for older adults with dementia in Chiang Mai.",
    ),
    (
        "ageing",
        "th",
        "ไทยและเกาหลีร่วมมือด้านการดูแลผู้สูงอายุระยะยาว",
        "กระทรวงสาธารณสุขไทยและกระทรวงสาธารณสุขเกาหลีจะแลกเปลี่ยนผู้เชี่ยวชาญและนำร่องการดูแลระยะยาวในชุมชนสำหรับผู้สูงอายุที่มีภาวะสมองเสื่อมในเชียงใหม่",
    ),
    (
        "ageing",
        "ko",
        "한국-태국, 노인 장기요양 협력",
        "한국 보건복지부와 태국 보건부는 전문가를 교류하고 치앙마이에서 치매 노인을 위한 지역사회 기반 장기요양 시범사업을 추진한다.",
    ),
    # different stories on close topics (hard negatives)
    (
        "tele2",
        "en",
        "Philippines expands telemedicine to rural health units",
        "The Department of Health said 300 rural health units will offer teleconsultations by the end of the year under a domestic digital health programme.",
    ),
    (
        "mou2",
        "en",
        "Korea and Vietnam sign MOU on hospital equipment",
        "South Korea and Vietnam signed an agreement to supply medical equipment to provincial hospitals and train biomedical engineers.",
    ),
    (
        "dengue2",
        "en",
        "Malaysia reports rise in dengue cases",
        "Malaysia's health ministry reported 1,200 dengue cases last week, up 20 percent, and urged residents to clear mosquito breeding sites.",
    ),
    (
        "dengue3",
        "ko",
        "필리핀 뎅기열 환자 급증",
        "필리핀 보건부는 올해 뎅기열 환자가 지난해보다 30% 늘었다고 밝혔다.",
    ),
    (
        "amr2",
        "en",
        "Japan funds AMR surveillance in Cambodia",
        "Japan will fund a three-year programme to build laboratory surveillance of antimicrobial resistance in Cambodian hospitals.",
    ),
    (
        "ageing2",
        "ja",
        "厚労省、認知症の新たな国家戦略を公表",
        "厚生労働省は認知症の人の地域での暮らしを支える新たな国家戦略を公表した。",
    ),
    (
        "mou3",
        "ko",
        "한-베트남 보건의료 협력 MOU 체결",
        "한국과 베트남은 보건의료 인력 교류와 병원 현대화를 위한 양해각서를 체결했다.",
    ),
    (
        "tele3",
        "id",
        "Kemenkes luncurkan layanan telemedisin untuk puskesmas",
        "Kementerian Kesehatan meluncurkan layanan telemedisin untuk 500 puskesmas di daerah terpencil.",
    ),
    (
        "who",
        "en",
        "WHO Western Pacific regional committee opens in Manila",
        "Health ministers from 37 countries gathered in Manila for the WHO Western Pacific Regional Committee to discuss pandemic preparedness and universal health coverage.",
    ),
]
