"""Static vocabularies for the demo store: specialities, packs, regions, review phrases.

Everything here is plain data. :mod:`shopmind.datasets.demo` turns it into SKUs, customers and
behaviour. The specialities are real Chinese regional products with their real origins; prices are
rough retail levels in CNY per kilogram (or per litre for oil).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pack:
    """One size/packaging option of a speciality.

    ``size_zh``/``size_en`` are shown in the title; ``weight_kg`` drives the price;
    ``pack`` is one of ``trial``, ``family``, ``gift_box``, ``bulk``.
    """

    size_zh: str
    size_en: str
    weight_kg: float
    pack: str


@dataclass(frozen=True)
class Speciality:
    """A regional product from which several SKUs (brand x pack x grade) are made."""

    key: str
    name: str
    name_en: str
    category: str
    province: str
    city: str
    county: str | None
    brands: tuple[tuple[str, str], ...]
    price_per_kg: float
    packs: str  # key into PACK_SETS
    harvest_months: tuple[int, ...] | None
    shelf_life_days: int | None
    quality: float  # typical quality, 0..1: drives ratings
    popularity: float  # relative demand and number of SKUs
    gi: bool  # a registered geographical indication (地理标志)
    supplier: str
    blurb: str
    blurb_en: str
    queries: tuple[str, ...]
    queries_en: tuple[str, ...]


PACK_ZH = {"trial": "尝鲜装", "family": "家庭装", "gift_box": "礼盒装", "bulk": "量贩装"}
PACK_EN = {"trial": "trial pack", "family": "family pack", "gift_box": "gift box", "bulk": "bulk pack"}

# Multiplier on the per-kg price and a fixed box cost: gift boxes carry a premium, bulk a discount.
PACK_PRICE = {"trial": (1.15, 0.0), "family": (1.0, 0.0), "gift_box": (1.2, 15.0), "bulk": (0.85, 0.0)}


def _kg(*items: tuple[float, str]) -> tuple[Pack, ...]:
    out = []
    for w, pack in items:
        label = f"{w:g}kg" if w >= 1 else f"{w * 1000:g}g"
        out.append(Pack(label, label, w, pack))
    return tuple(out)


PACK_SETS: dict[str, tuple[Pack, ...]] = {
    "fruit": _kg((1.5, "trial"), (2.5, "family"), (5.0, "family"), (4.0, "gift_box"), (9.0, "bulk")),
    "melon": _kg((3.0, "family"), (5.0, "gift_box"), (8.0, "family"), (12.0, "bulk")),
    "berry": _kg((0.5, "trial"), (1.0, "family"), (1.5, "gift_box"), (3.0, "bulk")),
    "crab": (
        Pack("2只", "2 crabs", 0.4, "trial"),
        Pack("6只", "6 crabs", 1.2, "family"),
        Pack("8只", "8 crabs", 1.6, "gift_box"),
        Pack("12只", "12 crabs", 2.4, "bulk"),
    ),
    "fresh_mushroom": _kg((0.25, "trial"), (0.5, "family"), (0.5, "gift_box"), (1.0, "bulk")),
    "veg": _kg((1.0, "trial"), (2.0, "family"), (3.0, "gift_box"), (5.0, "bulk")),
    "rice": _kg((2.5, "trial"), (5.0, "family"), (5.0, "gift_box"), (10.0, "bulk"), (25.0, "bulk")),
    "grain": _kg((0.5, "trial"), (1.0, "family"), (2.5, "gift_box"), (5.0, "bulk")),
    "oil": (
        Pack("500ml", "500ml", 0.46, "trial"),
        Pack("1L", "1L", 0.92, "family"),
        Pack("2L", "2L", 1.84, "gift_box"),
        Pack("5L", "5L", 4.6, "bulk"),
    ),
    "tea": _kg((0.05, "trial"), (0.125, "family"), (0.25, "gift_box"), (0.5, "bulk")),
    "puer": (
        Pack("100g", "100g", 0.1, "trial"),
        Pack("357g 茶饼", "357g cake", 0.357, "family"),
        Pack("357g 茶饼", "357g cake", 0.357, "gift_box"),
        Pack("7饼一提", "7-cake tong", 2.5, "bulk"),
    ),
    "honey": _kg((0.25, "trial"), (0.5, "family"), (1.0, "gift_box"), (2.0, "bulk")),
    "dried": _kg((0.1, "trial"), (0.25, "family"), (0.5, "gift_box"), (1.0, "bulk")),
    "nuts": _kg((0.25, "trial"), (0.5, "family"), (1.0, "gift_box"), (2.5, "bulk")),
    "eggs": (
        Pack("10枚", "10 eggs", 0.5, "trial"),
        Pack("30枚", "30 eggs", 1.5, "family"),
        Pack("30枚", "30 eggs", 1.5, "gift_box"),
        Pack("60枚", "60 eggs", 3.0, "bulk"),
    ),
    "cured": _kg((0.5, "trial"), (1.0, "family"), (1.5, "gift_box"), (2.5, "bulk")),
    "craft": (
        Pack("小号", "small", 0.3, "family"),
        Pack("中号", "medium", 0.6, "family"),
        Pack("大号", "large", 1.0, "family"),
        Pack("套装", "set", 1.2, "gift_box"),
        Pack("四件套", "4-piece set", 2.0, "bulk"),
    ),
}

# (zh, en, price multiplier, quality shift)
GRADES: tuple[tuple[str, str, float, float], ...] = (
    ("特级", "premium", 1.35, 0.12),
    ("一级", "grade A", 1.0, 0.0),
    ("标准", "standard", 0.8, -0.12),
)
CRAFT_GRADES: tuple[tuple[str, str, float, float], ...] = (
    ("大师款", "master-made", 1.8, 0.12),
    ("精品", "fine", 1.0, 0.0),
    ("日用款", "everyday", 0.7, -0.1),
)

TOP_CATEGORIES = ("生鲜", "粮油", "茶叶", "蜂蜜", "干货", "禽蛋肉", "手工艺品")

_S = Speciality
SPECIALITIES: tuple[Speciality, ...] = (
    # --- fresh fruit ---
    _S("navel_orange", "赣南脐橙", "Gannan navel orange", "生鲜/水果/柑橘", "江西", "赣州", "信丰",
       (("橙心果园", "Chengxin Orchard"), ("赣南老农", "Gannan Farmer"), ("脐橙小镇", "Orange Town")),
       10.0, "fruit", (11, 12, 1, 2), 25, 0.75, 1.6, True, "信丰县脐橙种植专业合作社",
       "果肉脆嫩、酸甜适口，树上自然成熟后现摘现发。",
       "Crisp, sweet-tart flesh, tree-ripened and shipped the day it is picked.",
       ("赣南脐橙", "脐橙", "橙子"), ("navel orange", "orange")),
    _S("bingtang_orange", "麻阳冰糖橙", "Mayang rock-sugar orange", "生鲜/水果/柑橘", "湖南", "怀化", "麻阳",
       (("麻阳果园", "Mayang Orchard"), ("湘西果农", "Xiangxi Growers")),
       9.0, "fruit", (11, 12, 1), 25, 0.7, 1.0, True, "麻阳苗族自治县冰糖橙专业合作社",
       "皮薄多汁、甜度高，湘西山区种植。",
       "Thin-skinned, juicy and very sweet, grown in the hills of western Hunan.",
       ("冰糖橙", "橙子"), ("sugar orange", "orange")),
    _S("dekopon", "蒲江丑柑", "Pujiang dekopon", "生鲜/水果/柑橘", "四川", "成都", "蒲江",
       (("蒲江柑园", "Pujiang Grove"), ("天府果仓", "Tianfu Fruit Barn")),
       14.0, "fruit", (1, 2, 3), 20, 0.72, 1.0, True, "蒲江县丑柑种植专业合作社",
       "其貌不扬却汁多化渣，糖酸比高。",
       "Knobbly outside, juicy and melting inside, with a high sugar-acid ratio.",
       ("丑橘", "丑柑", "不知火"), ("dekopon", "ugly orange")),
    _S("yantai_apple", "烟台苹果", "Yantai apple", "生鲜/水果/苹果", "山东", "烟台", "栖霞",
       (("栖霞果园", "Qixia Orchard"), ("烟台红", "Yantai Red"), ("胶东果仓", "Jiaodong Fruit Barn")),
       12.0, "fruit", (9, 10, 11), 30, 0.78, 1.5, True, "栖霞市红富士苹果专业合作社",
       "红富士脆甜多汁，胶东半岛海洋性气候孕育。",
       "Crisp, juicy Red Fuji apples from the maritime climate of the Jiaodong peninsula.",
       ("烟台苹果", "苹果", "红富士"), ("apple", "fuji apple")),
    _S("aksu_apple", "阿克苏冰糖心苹果", "Aksu sugar-heart apple", "生鲜/水果/苹果", "新疆", "阿克苏", None,
       (("天山果园", "Tianshan Orchard"), ("阿克苏红", "Aksu Red")),
       14.0, "fruit", (10, 11, 12), 30, 0.8, 1.3, True, "阿克苏地区红旗坡苹果种植合作社",
       "昼夜温差大，果核周围糖分结晶形成冰糖心。",
       "Big day-night temperature swings crystallise sugar around the core.",
       ("冰糖心苹果", "阿克苏苹果", "苹果"), ("aksu apple", "apple")),
    _S("luochuan_apple", "洛川苹果", "Luochuan apple", "生鲜/水果/苹果", "陕西", "延安", "洛川",
       (("洛川果园", "Luochuan Orchard"), ("黄土高原", "Loess Plateau")),
       11.0, "fruit", (9, 10, 11), 30, 0.72, 1.0, True, "洛川县苹果产业专业合作社",
       "黄土高原上的高海拔苹果，果面光洁、口感脆甜。",
       "High-altitude apples from the Loess Plateau, smooth-skinned and crisp.",
       ("洛川苹果", "苹果"), ("apple",)),
    _S("hami_melon", "新疆哈密瓜", "Xinjiang Hami melon", "生鲜/水果/瓜果", "新疆", "哈密", None,
       (("哈密瓜王", "Hami Melon King"), ("西域果园", "Western Region Orchard")),
       10.0, "melon", (6, 7, 8, 9), 15, 0.75, 1.2, True, "哈密市哈密瓜种植专业合作社",
       "瓜肉橙红、香甜爽脆，新疆日照充足。",
       "Orange flesh, sweet and crunchy, ripened under long Xinjiang sunshine.",
       ("哈密瓜", "甜瓜"), ("hami melon", "melon")),
    _S("dangshan_pear", "砀山酥梨", "Dangshan crisp pear", "生鲜/水果/梨", "安徽", "宿州", "砀山",
       (("砀山梨园", "Dangshan Pear Garden"), ("皖北果农", "Wanbei Growers")),
       7.0, "fruit", (8, 9, 10), 30, 0.68, 0.9, True, "砀山县酥梨种植专业合作社",
       "皮薄汁多、酥脆化渣，可生食也可炖梨汤。",
       "Thin skin and lots of juice; eat fresh or stew as pear soup.",
       ("砀山梨", "酥梨", "梨"), ("pear",)),
    _S("guifei_mango", "海南贵妃芒", "Hainan Guifei mango", "生鲜/水果/热带水果", "海南", "三亚", None,
       (("椰风果园", "Coconut Breeze Orchard"), ("南国鲜果", "Southern Fresh")),
       16.0, "fruit", (3, 4, 5, 6), 10, 0.7, 1.0, False, "三亚市热带水果种植专业合作社",
       "红黄相间、香气浓郁，树上八成熟采摘。",
       "Red-and-yellow skin, intensely fragrant, picked at eight-tenths ripe.",
       ("芒果", "贵妃芒"), ("mango",)),
    _S("passion_fruit", "广西百香果", "Guangxi passion fruit", "生鲜/水果/热带水果", "广西", "玉林", None,
       (("桂南果园", "Guinan Orchard"), ("百香小镇", "Passion Town")),
       14.0, "fruit", (7, 8, 9, 10), 20, 0.66, 0.8, False, "玉林市百香果种植专业合作社",
       "果香浓郁、酸甜开胃，适合冲水或做饮品。",
       "Intensely aromatic and tangy; great in water or drinks.",
       ("百香果",), ("passion fruit",)),
    _S("dandong_strawberry", "丹东草莓", "Dandong strawberry", "生鲜/水果/莓果", "辽宁", "丹东", "东港",
       (("鸭绿江果园", "Yalu River Orchard"), ("丹东红颜", "Dandong Hongyan")),
       60.0, "berry", (12, 1, 2, 3, 4), 7, 0.74, 1.0, True, "东港市草莓种植专业合作社",
       "红颜品种，果形饱满、奶香浓郁，冷链直发。",
       "Hongyan variety: plump and milky-sweet, shipped by cold chain.",
       ("草莓", "丹东草莓", "99草莓"), ("strawberry",)),
    _S("zhouzhi_kiwi", "周至猕猴桃", "Zhouzhi kiwifruit", "生鲜/水果/猕猴桃", "陕西", "西安", "周至",
       (("秦岭果园", "Qinling Orchard"), ("周至红心", "Zhouzhi Red Heart")),
       12.0, "fruit", (9, 10, 11), 20, 0.72, 0.9, True, "周至县猕猴桃专业合作社",
       "秦岭北麓种植，翠香、红心品种，软熟后香甜。",
       "Grown on the northern slopes of the Qinling; sweet and fragrant once softened.",
       ("猕猴桃", "奇异果"), ("kiwi", "kiwifruit")),
    # --- other fresh ---
    _S("hairy_crab", "阳澄湖大闸蟹", "Yangcheng Lake hairy crab", "生鲜/水产", "江苏", "苏州", None,
       (("阳澄湖蟹庄", "Yangcheng Crab Farm"), ("湖鲜坊", "Lake Fresh")),
       220.0, "crab", (9, 10, 11), 3, 0.76, 1.0, True, "苏州市阳澄湖大闸蟹养殖专业合作社",
       "青背白肚、金爪黄毛，膏满黄肥，活蟹冷链发货。",
       "Green back, white belly, golden claws, full of roe; shipped alive by cold chain.",
       ("大闸蟹", "阳澄湖大闸蟹", "螃蟹"), ("hairy crab", "crab")),
    _S("matsutake", "云南鲜松茸", "Fresh Yunnan matsutake", "生鲜/菌菇", "云南", "迪庆", "香格里拉",
       (("香格里拉山珍", "Shangri-La Wild"), ("彩云山货", "Caiyun Mountain Goods")),
       400.0, "fresh_mushroom", (7, 8, 9), 4, 0.7, 0.6, False, "香格里拉市松茸采集专业合作社",
       "海拔三千米原始森林采摘，当天冷链发出。",
       "Foraged in virgin forest at 3,000 m and shipped by cold chain the same day.",
       ("松茸", "野生菌", "云南野生菌"), ("matsutake", "wild mushroom")),
    _S("shouguang_tomato", "寿光西红柿", "Shouguang tomato", "生鲜/蔬菜", "山东", "潍坊", "寿光",
       (("寿光菜园", "Shouguang Garden"), ("鲁北田园", "Lubei Fields")),
       8.0, "veg", (4, 5, 6, 7, 8, 9, 10), 7, 0.66, 1.0, False, "寿光市蔬菜产业专业合作社",
       "沙瓤口感、自然成熟，蔬菜之乡直供。",
       "Sandy-textured and vine-ripened, direct from China's vegetable capital.",
       ("西红柿", "番茄", "蔬菜"), ("tomato", "vegetables")),
    _S("spring_bamboo", "临安春笋", "Lin'an spring bamboo shoots", "生鲜/蔬菜", "浙江", "杭州", "临安",
       (("天目山珍", "Tianmu Mountain"), ("临安竹乡", "Lin'an Bamboo Town")),
       16.0, "veg", (3, 4, 5), 5, 0.7, 0.8, False, "临安区竹笋专业合作社",
       "天目山竹林清晨挖笋，鲜嫩脆甜。",
       "Dug at dawn in the Tianmu bamboo forests; tender, crisp and sweet.",
       ("春笋", "竹笋", "笋"), ("bamboo shoots",)),
    _S("tiegun_yam", "温县铁棍山药", "Wenxian iron-stick yam", "生鲜/蔬菜", "河南", "焦作", "温县",
       (("怀山堂", "Huaishan Hall"), ("温县山药", "Wenxian Yam")),
       16.0, "veg", (10, 11, 12, 1), 10, 0.74, 0.9, True, "温县铁棍山药种植专业合作社",
       "怀山药正宗产区，粉糯细腻、久煮不散。",
       "From the classic Huai yam region: floury, smooth and holds its shape when cooked.",
       ("铁棍山药", "山药"), ("chinese yam", "yam")),
    # --- grain and oil ---
    _S("wuchang_rice", "五常大米", "Wuchang rice", "粮油/大米", "黑龙江", "哈尔滨", "五常",
       (("稻花香", "Daohuaxiang"), ("五常源", "Wuchang Source"), ("黑土情", "Black Soil")),
       16.0, "rice", None, 365, 0.82, 1.8, True, "五常市稻花香种植合作社",
       "稻花香2号，一年一季，米粒油润、蒸煮清香。",
       "Daohuaxiang No. 2, one harvest a year: glossy grains and a fragrant pot.",
       ("五常大米", "大米", "东北大米", "稻花香"), ("wuchang rice", "rice")),
    _S("panjin_rice", "盘锦大米", "Panjin rice", "粮油/大米", "辽宁", "盘锦", None,
       (("盘锦蟹田", "Panjin Crab Paddy"), ("辽河稻", "Liaohe Rice")),
       8.0, "rice", None, 365, 0.7, 1.0, True, "盘锦市稻蟹共生种植专业合作社",
       "稻蟹共生种植，米粒晶莹、口感软糯。",
       "Grown in rice-crab paddies: translucent grains with a soft bite.",
       ("盘锦大米", "大米", "蟹田米"), ("rice",)),
    _S("xiangshui_rice", "响水大米", "Xiangshui rice", "粮油/大米", "黑龙江", "牡丹江", "宁安",
       (("镜泊湖", "Jingpo Lake"), ("响水稻", "Xiangshui Paddy")),
       18.0, "rice", None, 365, 0.8, 0.8, True, "宁安市响水大米种植专业合作社",
       "火山岩台地种植，米香浓郁、回味甘甜。",
       "Grown on volcanic rock terraces; richly aromatic with a sweet finish.",
       ("响水大米", "大米", "石板大米"), ("rice",)),
    _S("qinzhou_millet", "沁州黄小米", "Qinzhou yellow millet", "粮油/杂粮", "山西", "长治", "沁县",
       (("沁州黄", "Qinzhou Huang"), ("太行农家", "Taihang Farm")),
       20.0, "grain", None, 365, 0.76, 0.9, True, "沁县沁州黄小米专业合作社",
       "四大名米之一，熬粥米油厚、颜色金黄。",
       "One of China's four famous millets; cooks into a golden, creamy porridge.",
       ("小米", "沁州黄", "杂粮"), ("millet",)),
    _S("oat_rice", "内蒙古燕麦米", "Inner Mongolia oat rice", "粮油/杂粮", "内蒙古", "乌兰察布", None,
       (("阴山农场", "Yinshan Farm"), ("草原粮仓", "Grassland Granary")),
       15.0, "grain", None, 365, 0.68, 0.7, False, "察右后旗燕麦种植专业合作社",
       "高寒地区种植的裸燕麦，膳食纤维丰富，低糖饱腹。",
       "Naked oats from the cold highlands: rich in fibre, low in sugar and filling.",
       ("燕麦米", "燕麦", "杂粮", "粗粮"), ("oats", "whole grains")),
    _S("camellia_oil", "江西山茶油", "Jiangxi camellia oil", "粮油/食用油", "江西", "宜春", None,
       (("赣山茶", "Ganshan Camellia"), ("油茶人家", "Camellia Family")),
       120.0, "oil", None, 540, 0.74, 0.8, False, "宜春市油茶种植专业合作社",
       "野生油茶籽低温物理压榨，烟点高、适合炒菜。",
       "Cold-pressed from wild camellia seeds; a high smoke point for stir-frying.",
       ("山茶油", "茶油", "食用油"), ("camellia oil", "cooking oil")),
    # --- tea ---
    _S("longjing", "西湖龙井", "West Lake Longjing tea", "茶叶/绿茶", "浙江", "杭州", None,
       (("狮峰茶园", "Shifeng Tea Garden"), ("龙井村", "Longjing Village"), ("西子茶坊", "Xizi Tea House")),
       2400.0, "tea", (3, 4, 5), 540, 0.82, 1.3, True, "杭州市西湖区龙井茶专业合作社",
       "明前手工炒制，扁平光滑、豆香清雅。",
       "Hand-roasted before Qingming: flat, smooth leaves with a delicate chestnut aroma.",
       ("龙井", "西湖龙井", "绿茶", "新茶"), ("longjing tea", "green tea", "dragon well")),
    _S("biluochun", "洞庭碧螺春", "Dongting Biluochun tea", "茶叶/绿茶", "江苏", "苏州", "吴中",
       (("洞庭山", "Dongting Hill"), ("太湖茶园", "Taihu Tea Garden")),
       1600.0, "tea", (3, 4), 540, 0.78, 0.8, True, "苏州市吴中区碧螺春茶叶专业合作社",
       "茶果间作，条索卷曲如螺、花果香明显。",
       "Grown among fruit trees: spiral leaves with a floral, fruity note.",
       ("碧螺春", "绿茶", "新茶"), ("biluochun", "green tea")),
    _S("maojian", "信阳毛尖", "Xinyang Maojian tea", "茶叶/绿茶", "河南", "信阳", None,
       (("豫南茶园", "Yunan Tea Garden"), ("信阳山茶", "Xinyang Mountain Tea")),
       1000.0, "tea", (4, 5), 540, 0.74, 0.8, True, "信阳市浉河区茶叶专业合作社",
       "细圆紧直、白毫显露，汤色嫩绿、滋味鲜爽。",
       "Fine, straight, downy leaves; a bright green, brisk cup.",
       ("信阳毛尖", "毛尖", "绿茶"), ("maojian", "green tea")),
    _S("maofeng", "黄山毛峰", "Huangshan Maofeng tea", "茶叶/绿茶", "安徽", "黄山", None,
       (("黄山云雾", "Huangshan Mist"), ("徽州茶人", "Huizhou Tea Folk")),
       800.0, "tea", (4, 5), 540, 0.74, 0.7, True, "黄山市黄山区毛峰茶专业合作社",
       "高山云雾茶，形似雀舌、兰香持久。",
       "High-mountain mist tea: sparrow-tongue leaves with a lasting orchid aroma.",
       ("黄山毛峰", "毛峰", "绿茶"), ("maofeng", "green tea")),
    _S("keemun", "祁门红茶", "Keemun black tea", "茶叶/红茶", "安徽", "黄山", "祁门",
       (("祁红", "Qihong"), ("祁山茶厂", "Qishan Tea Works")),
       900.0, "tea", (4, 5, 6), 540, 0.78, 0.8, True, "祁门县红茶专业合作社",
       "世界三大高香红茶之一，祁门香带蜜糖果香。",
       "One of the world's three great aromatic black teas, with honeyed fruit notes.",
       ("祁门红茶", "红茶"), ("keemun", "black tea")),
    _S("lapsang", "正山小种", "Lapsang souchong", "茶叶/红茶", "福建", "南平", "武夷山",
       (("桐木关", "Tongmu Pass"), ("武夷茶人", "Wuyi Tea Folk")),
       800.0, "tea", (4, 5), 540, 0.76, 0.8, True, "武夷山市桐木正山小种茶叶专业合作社",
       "桐木关传统松烟工艺，桂圆汤、松烟香。",
       "Traditionally pine-smoked at Tongmu Pass: longan sweetness and a smoky finish.",
       ("正山小种", "红茶"), ("lapsang souchong", "black tea")),
    _S("dianhong", "凤庆滇红", "Fengqing Dianhong black tea", "茶叶/红茶", "云南", "临沧", "凤庆",
       (("凤庆茶厂", "Fengqing Tea Works"), ("澜沧江茶园", "Lancang Tea Garden")),
       500.0, "tea", (3, 4, 5), 540, 0.72, 0.7, True, "凤庆县滇红茶专业合作社",
       "云南大叶种，金毫显露、汤色红艳。",
       "Yunnan large-leaf variety with golden tips and a bright red liquor.",
       ("滇红", "红茶", "云南红茶"), ("dianhong", "black tea")),
    _S("tieguanyin", "安溪铁观音", "Anxi Tieguanyin oolong", "茶叶/乌龙茶", "福建", "泉州", "安溪",
       (("安溪茶人", "Anxi Tea Folk"), ("观音韵", "Guanyin Yun"), ("闽南茶园", "Minnan Tea Garden")),
       700.0, "tea", (4, 5, 10), 540, 0.76, 1.0, True, "安溪县铁观音茶叶专业合作社",
       "兰花香、观音韵，七泡有余香。",
       "Orchid aroma and the famous Guanyin finish, still fragrant after seven infusions.",
       ("铁观音", "安溪铁观音", "乌龙茶"), ("tieguanyin", "oolong")),
    _S("dahongpao", "武夷山大红袍", "Wuyi Da Hong Pao rock tea", "茶叶/乌龙茶", "福建", "南平", "武夷山",
       (("武夷岩韵", "Wuyi Rock Charm"), ("九曲茶园", "Jiuqu Tea Garden")),
       1000.0, "tea", (4, 5), 540, 0.8, 0.8, True, "武夷山市岩茶专业合作社",
       "传统炭焙岩茶，岩骨花香、耐冲泡。",
       "Charcoal-roasted rock tea: mineral backbone, floral aroma, many infusions.",
       ("大红袍", "岩茶", "乌龙茶"), ("da hong pao", "rock tea", "oolong")),
    _S("puer", "云南普洱茶", "Yunnan Pu'er tea", "茶叶/黑茶", "云南", "普洱", None,
       (("茶马古道", "Tea Horse Road"), ("普洱山", "Pu'er Mountain"), ("易武茶厂", "Yiwu Tea Works")),
       400.0, "puer", None, 3650, 0.74, 1.1, True, "普洱市思茅区茶叶专业合作社",
       "云南大叶种晒青毛茶压制，越陈越香。",
       "Pressed from sun-dried Yunnan large-leaf tea; it improves with age.",
       ("普洱", "普洱茶", "茶饼", "黑茶"), ("pu'er", "puerh tea")),
    # --- honey ---
    _S("qinling_honey", "秦岭土蜂蜜", "Qinling wild honey", "蜂蜜", "陕西", "汉中", None,
       (("秦岭蜂语", "Qinling Bee Talk"), ("山野蜂农", "Mountain Beekeeper")),
       120.0, "honey", None, 720, 0.78, 1.3, False, "汉中市秦岭土蜂养殖专业合作社",
       "秦岭深山中华土蜂百花蜜，一年只取一次。",
       "Multi-flower honey from native bees deep in the Qinling, harvested once a year.",
       ("蜂蜜", "土蜂蜜", "秦岭蜂蜜", "百花蜜"), ("honey", "wild honey")),
    _S("linden_honey", "饶河椴树蜜", "Raohe linden honey", "蜂蜜", "黑龙江", "双鸭山", "饶河",
       (("饶河黑蜂", "Raohe Black Bee"), ("北大荒蜂场", "Beidahuang Apiary")),
       80.0, "honey", None, 720, 0.74, 1.0, True, "饶河县东北黑蜂养殖专业合作社",
       "东北黑蜂采集椴树花蜜，结晶洁白细腻。",
       "Gathered by Northeast black bees in the linden bloom; crystallises white and creamy.",
       ("椴树蜜", "蜂蜜", "雪蜜"), ("linden honey", "honey")),
    _S("goji_honey", "宁夏枸杞蜜", "Ningxia goji honey", "蜂蜜", "宁夏", "中卫", None,
       (("塞上蜂园", "Saishang Apiary"), ("中宁蜂农", "Zhongning Beekeepers")),
       90.0, "honey", None, 720, 0.7, 0.7, False, "中卫市蜂业专业合作社",
       "枸杞花期蜜源，琥珀色、略带草本清香。",
       "From goji blossoms: amber-coloured with a light herbal note.",
       ("枸杞蜜", "蜂蜜"), ("goji honey", "honey")),
    # --- dried goods ---
    _S("black_fungus", "东北黑木耳", "Northeast black fungus", "干货/菌菇", "黑龙江", "牡丹江", "东宁",
       (("东宁山珍", "Dongning Mountain"), ("黑土地", "Black Earth")),
       120.0, "dried", None, 365, 0.76, 1.2, True, "东宁市黑木耳种植专业合作社",
       "小碗耳、肉厚无根，泡发率高。",
       "Small, thick, rootless cup-shaped fungus that rehydrates generously.",
       ("木耳", "黑木耳", "东北木耳"), ("black fungus", "wood ear mushroom")),
    _S("shiitake", "随州香菇", "Suizhou shiitake", "干货/菌菇", "湖北", "随州", None,
       (("随州菇乡", "Suizhou Mushroom Town"), ("大洪山", "Dahong Mountain")),
       80.0, "dried", None, 365, 0.72, 0.9, True, "随州市香菇产业专业合作社",
       "段木栽培花菇，菇香浓郁、肉质厚实。",
       "Log-grown flower shiitake with a rich aroma and a meaty texture.",
       ("香菇", "花菇", "干香菇"), ("shiitake", "dried mushroom")),
    _S("porcini", "云南牛肝菌", "Yunnan dried porcini", "干货/菌菇", "云南", "楚雄", None,
       (("彩云山货", "Caiyun Mountain Goods"), ("楚雄野山菌", "Chuxiong Wild Fungi")),
       300.0, "dried", None, 365, 0.74, 0.8, False, "楚雄州野生菌专业合作社",
       "雨季野生采摘后切片晾干，炖汤炒肉皆宜。",
       "Foraged in the rainy season, sliced and dried; for soups and stir-fries.",
       ("牛肝菌", "野生菌", "云南野生菌", "菌菇"), ("porcini", "wild mushroom")),
    _S("walnut", "新疆纸皮核桃", "Xinjiang paper-shell walnut", "干货/坚果", "新疆", "阿克苏", "温宿",
       (("天山果园", "Tianshan Orchard"), ("西域坚果", "Western Region Nuts")),
       40.0, "nuts", None, 270, 0.72, 1.1, False, "温宿县核桃种植专业合作社",
       "纸皮核桃手捏即开，仁饱满、香而不涩。",
       "Paper-shell walnuts crack by hand: plump kernels, fragrant, not bitter.",
       ("核桃", "纸皮核桃", "坚果"), ("walnut", "nuts")),
    _S("hickory", "临安山核桃", "Lin'an hickory nuts", "干货/坚果", "浙江", "杭州", "临安",
       (("天目山珍", "Tianmu Mountain"), ("临安坚果", "Lin'an Nuts")),
       120.0, "nuts", None, 270, 0.76, 0.9, True, "临安区山核桃专业合作社",
       "天目山原产，手剥椒盐口味，年货必备。",
       "Salt-and-pepper roasted hickory nuts from Tianmu; a New Year staple.",
       ("山核桃", "坚果", "年货"), ("hickory nuts", "nuts")),
    _S("pine_nut", "长白山松子", "Changbai Mountain pine nuts", "干货/坚果", "吉林", "白山", "抚松",
       (("长白山珍", "Changbai Treasures"), ("林海雪原", "Snowy Forest")),
       160.0, "nuts", None, 270, 0.74, 0.7, False, "抚松县红松籽专业合作社",
       "红松籽开口炒制，颗粒大、油脂香。",
       "Korean pine nuts roasted open: large, rich and buttery.",
       ("松子", "坚果"), ("pine nuts",)),
    _S("goji", "宁夏枸杞", "Ningxia goji berries", "干货/滋补", "宁夏", "中卫", "中宁",
       (("中宁杞乡", "Zhongning Goji Town"), ("塞上红", "Saishang Red"), ("宁杞", "Ningqi")),
       80.0, "nuts", None, 540, 0.76, 1.2, True, "中宁县枸杞产业专业合作社",
       "头茬鲜果自然晾晒，颗粒饱满、免洗可直接吃。",
       "First-flush berries, sun-dried, plump and ready to eat.",
       ("枸杞", "宁夏枸杞", "养生"), ("goji", "goji berries", "wolfberry")),
    _S("jujube", "和田大枣", "Hotan jujube", "干货/干果", "新疆", "和田", None,
       (("昆仑枣园", "Kunlun Date Garden"), ("和田玉枣", "Hotan Jade Date")),
       40.0, "nuts", None, 365, 0.72, 1.0, True, "和田地区红枣种植专业合作社",
       "昆仑山雪水灌溉、沙漠日照，肉厚核小。",
       "Watered by Kunlun snowmelt under desert sun: thick flesh, small stone.",
       ("红枣", "大枣", "和田大枣"), ("jujube", "red dates")),
    _S("raisin", "吐鲁番葡萄干", "Turpan raisins", "干货/干果", "新疆", "吐鲁番", None,
       (("火焰山", "Flaming Mountain"), ("葡萄沟", "Grape Valley")),
       40.0, "nuts", None, 365, 0.7, 0.8, True, "吐鲁番市葡萄种植专业合作社",
       "晾房自然风干的无核白葡萄干，绿如翡翠。",
       "Seedless raisins air-dried in traditional drying houses, jade-green.",
       ("葡萄干", "新疆葡萄干", "干果"), ("raisins",)),
    # --- eggs and meat ---
    _S("enshi_eggs", "恩施土鸡蛋", "Enshi free-range eggs", "禽蛋肉/鸡蛋", "湖北", "恩施", None,
       (("武陵山农家", "Wuling Farmhouse"), ("恩施山里", "Enshi Hills")),
       35.0, "eggs", None, 30, 0.74, 1.2, False, "恩施市生态养鸡专业合作社",
       "山林散养土鸡，吃虫草玉米，蛋黄橙红。",
       "Hens roam the hillside on insects and corn; deep orange yolks.",
       ("土鸡蛋", "鸡蛋", "散养鸡蛋"), ("free-range eggs", "eggs")),
    _S("guizhou_eggs", "黔东南林下鸡蛋", "Qiandongnan forest-range eggs", "禽蛋肉/鸡蛋", "贵州", "黔东南", None,
       (("苗岭农家", "Miaoling Farm"), ("黔山土货", "Qianshan Goods")),
       32.0, "eggs", None, 30, 0.7, 0.9, False, "黔东南州林下养殖专业合作社",
       "苗岭林下散养，蛋清浓稠、口感香醇。",
       "Range-fed under the Miao hill forests: thick whites and a rich taste.",
       ("土鸡蛋", "鸡蛋", "林下鸡蛋"), ("eggs", "free-range eggs")),
    _S("silkie_eggs", "泰和乌鸡蛋", "Taihe silkie eggs", "禽蛋肉/鸡蛋", "江西", "吉安", "泰和",
       (("泰和乌鸡", "Taihe Silkie"), ("井冈山农", "Jinggang Farm")),
       60.0, "eggs", None, 30, 0.76, 0.6, True, "泰和县乌鸡养殖专业合作社",
       "泰和乌骨鸡所产，个头小、营养丰富。",
       "Laid by Taihe silkie hens: small eggs, rich in nutrients.",
       ("乌鸡蛋", "鸡蛋"), ("silkie eggs", "eggs")),
    _S("sichuan_bacon", "四川烟熏腊肉", "Sichuan smoked bacon", "禽蛋肉/腊肉", "四川", "广元", None,
       (("巴山土货", "Bashan Goods"), ("川味人家", "Sichuan Flavour Home")),
       90.0, "cured", None, 180, 0.74, 1.1, False, "广元市腊肉加工专业合作社",
       "农家土猪肉柏树枝烟熏，咸香下饭。",
       "Farm pork smoked over cypress branches: salty, smoky and great with rice.",
       ("腊肉", "四川腊肉", "烟熏腊肉", "年货"), ("chinese bacon", "cured pork")),
    _S("xiangxi_bacon", "湘西腊肉", "Xiangxi cured pork", "禽蛋肉/腊肉", "湖南", "湘西", None,
       (("湘西土家", "Tujia Xiangxi"), ("武陵腊味", "Wuling Cured")),
       95.0, "cured", None, 180, 0.72, 0.8, False, "湘西州土家腊肉专业合作社",
       "土家族传统火塘熏制，肥而不腻。",
       "Tujia-style, smoked over the hearth: rich but not greasy.",
       ("腊肉", "湘西腊肉", "年货"), ("cured pork", "bacon")),
    _S("cantonese_sausage", "广式腊肠", "Cantonese sausage", "禽蛋肉/腊肉", "广东", "广州", None,
       (("岭南腊味", "Lingnan Cured"), ("广府坊", "Guangfu Workshop")),
       80.0, "cured", None, 180, 0.7, 0.8, False, "广州市从化区腊味加工专业合作社",
       "甜咸适中、酒香浓郁，煲仔饭必备。",
       "Sweet-savoury with a hint of rice wine; essential for claypot rice.",
       ("腊肠", "广式腊肠", "香肠"), ("chinese sausage", "lap cheong")),
    # --- handicrafts ---
    _S("bamboo_weave", "青神竹编", "Qingshen bamboo weaving", "手工艺品", "四川", "眉山", "青神",
       (("青神竹艺", "Qingshen Bamboo Art"), ("竹韵坊", "Bamboo Rhythm Workshop")),
       200.0, "craft", None, None, 0.76, 0.6, False, "青神县竹编专业合作社",
       "非遗竹编手艺人手工编织，果篮、收纳篮兼具。",
       "Hand-woven by intangible-heritage artisans: fruit and storage baskets.",
       ("竹编", "竹篮", "手工艺品"), ("bamboo basket", "handicraft")),
    _S("miao_embroidery", "苗绣", "Miao embroidery", "手工艺品", "贵州", "黔东南", "雷山",
       (("苗岭绣坊", "Miaoling Embroidery"), ("黔绣", "Qian Embroidery")),
       500.0, "craft", None, None, 0.78, 0.5, False, "雷山县苗绣专业合作社",
       "苗族绣娘手工刺绣，图案源自古歌传说。",
       "Hand-stitched by Miao embroiderers with motifs from ancient songs.",
       ("苗绣", "刺绣", "手工艺品"), ("miao embroidery", "embroidery")),
    _S("zisha_teapot", "宜兴紫砂壶", "Yixing clay teapot", "手工艺品", "江苏", "无锡", "宜兴",
       (("丁蜀窑", "Dingshu Kiln"), ("紫泥坊", "Purple Clay Workshop")),
       1500.0, "craft", None, None, 0.8, 0.6, True, "宜兴市丁蜀镇紫砂专业合作社",
       "原矿紫泥全手工制作，透气性好、越养越润。",
       "Fully hand-made from raw purple clay; it breathes well and gains lustre with use.",
       ("紫砂壶", "茶壶", "茶具"), ("yixing teapot", "teapot")),
    _S("jingdezhen", "景德镇青花瓷", "Jingdezhen blue-and-white porcelain", "手工艺品", "江西", "景德镇", None,
       (("瓷都窑", "Porcelain Capital Kiln"), ("昌南坊", "Changnan Workshop")),
       300.0, "craft", None, None, 0.76, 0.5, True, "景德镇市陶瓷手工艺专业合作社",
       "手工拉坯、青花手绘，釉面温润。",
       "Wheel-thrown and hand-painted in cobalt blue under a soft glaze.",
       ("青花瓷", "瓷器", "茶具"), ("porcelain", "blue and white porcelain")),
)

# Capital coordinates (lat, lon) stand in for each province when measuring shipping distance.
PROVINCE_COORDS: dict[str, tuple[float, float]] = {
    "北京": (39.90, 116.41), "天津": (39.13, 117.20), "河北": (38.04, 114.51), "山西": (37.87, 112.55),
    "内蒙古": (40.84, 111.75), "辽宁": (41.80, 123.43), "吉林": (43.82, 125.32), "黑龙江": (45.80, 126.53),
    "上海": (31.23, 121.47), "江苏": (32.06, 118.80), "浙江": (30.27, 120.15), "安徽": (31.82, 117.23),
    "福建": (26.07, 119.30), "江西": (28.68, 115.86), "山东": (36.65, 117.12), "河南": (34.75, 113.63),
    "湖北": (30.59, 114.31), "湖南": (28.23, 112.94), "广东": (23.13, 113.26), "广西": (22.82, 108.32),
    "海南": (20.04, 110.20), "重庆": (29.56, 106.55), "四川": (30.57, 104.07), "贵州": (26.65, 106.63),
    "云南": (25.04, 102.71), "西藏": (29.65, 91.13), "陕西": (34.34, 108.94), "甘肃": (36.06, 103.83),
    "青海": (36.62, 101.78), "宁夏": (38.49, 106.23), "新疆": (43.83, 87.62),
}

# Share of online shoppers by province (rough, e-commerce-heavy coast first) and real cities in each.
PROVINCE_WEIGHTS: dict[str, float] = {
    "广东": 0.125, "浙江": 0.085, "江苏": 0.085, "山东": 0.065, "北京": 0.06, "上海": 0.06,
    "四川": 0.05, "河南": 0.045, "湖北": 0.04, "福建": 0.035, "湖南": 0.035, "河北": 0.035,
    "安徽": 0.03, "陕西": 0.025, "辽宁": 0.025, "重庆": 0.025, "天津": 0.02, "江西": 0.018,
    "广西": 0.018, "云南": 0.018, "黑龙江": 0.015, "山西": 0.014, "吉林": 0.012, "贵州": 0.012,
    "内蒙古": 0.009, "新疆": 0.008, "甘肃": 0.007, "海南": 0.006, "宁夏": 0.003, "青海": 0.002,
    "西藏": 0.001,
}
PROVINCE_CITIES: dict[str, tuple[tuple[str, float], ...]] = {
    "广东": (("广州", 0.3), ("深圳", 0.3), ("东莞", 0.12), ("佛山", 0.12), ("珠海", 0.06), ("汕头", 0.05),
           ("惠州", 0.05)),
    "浙江": (("杭州", 0.4), ("宁波", 0.2), ("温州", 0.15), ("金华", 0.1), ("绍兴", 0.08), ("嘉兴", 0.07)),
    "江苏": (("苏州", 0.3), ("南京", 0.25), ("无锡", 0.15), ("常州", 0.1), ("南通", 0.1), ("徐州", 0.1)),
    "山东": (("青岛", 0.3), ("济南", 0.25), ("潍坊", 0.13), ("烟台", 0.12), ("临沂", 0.1), ("淄博", 0.1)),
    "北京": (("北京", 1.0),),
    "上海": (("上海", 1.0),),
    "四川": (("成都", 0.65), ("绵阳", 0.1), ("南充", 0.1), ("宜宾", 0.08), ("乐山", 0.07)),
    "河南": (("郑州", 0.45), ("洛阳", 0.2), ("南阳", 0.12), ("新乡", 0.12), ("开封", 0.11)),
    "湖北": (("武汉", 0.65), ("宜昌", 0.15), ("襄阳", 0.12), ("荆州", 0.08)),
    "福建": (("福州", 0.35), ("厦门", 0.35), ("泉州", 0.3)),
    "湖南": (("长沙", 0.6), ("株洲", 0.15), ("岳阳", 0.13), ("衡阳", 0.12)),
    "河北": (("石家庄", 0.35), ("保定", 0.2), ("唐山", 0.2), ("廊坊", 0.15), ("邯郸", 0.1)),
    "安徽": (("合肥", 0.55), ("芜湖", 0.2), ("安庆", 0.13), ("蚌埠", 0.12)),
    "陕西": (("西安", 0.8), ("宝鸡", 0.1), ("咸阳", 0.1)),
    "辽宁": (("沈阳", 0.45), ("大连", 0.45), ("鞍山", 0.1)),
    "重庆": (("重庆", 1.0),),
    "天津": (("天津", 1.0),),
    "江西": (("南昌", 0.6), ("赣州", 0.25), ("九江", 0.15)),
    "广西": (("南宁", 0.55), ("桂林", 0.25), ("柳州", 0.2)),
    "云南": (("昆明", 0.8), ("大理", 0.1), ("曲靖", 0.1)),
    "黑龙江": (("哈尔滨", 0.7), ("大庆", 0.15), ("齐齐哈尔", 0.15)),
    "山西": (("太原", 0.7), ("大同", 0.15), ("运城", 0.15)),
    "吉林": (("长春", 0.65), ("吉林", 0.35)),
    "贵州": (("贵阳", 0.75), ("遵义", 0.25)),
    "内蒙古": (("呼和浩特", 0.5), ("包头", 0.5)),
    "新疆": (("乌鲁木齐", 0.85), ("克拉玛依", 0.15)),
    "甘肃": (("兰州", 1.0),),
    "海南": (("海口", 0.7), ("三亚", 0.3)),
    "宁夏": (("银川", 1.0),),
    "青海": (("西宁", 1.0),),
    "西藏": (("拉萨", 1.0),),
}
# Couriers charge extra and take longer to these.
REMOTE_PROVINCES = frozenset({"新疆", "西藏", "青海", "内蒙古", "甘肃", "宁夏"})

# --- search vocabulary by intent (mixed Chinese and English, as shoppers type it) ---
GENERIC_QUERIES: dict[str, tuple[str, ...]] = {
    "price_sensitive": ("特价", "包邮", "便宜水果", "优惠券", "秒杀", "cheap fruit", "清仓"),
    "quality_seeking": ("有机大米", "有机", "绿色食品", "无农药蔬菜", "地理标志", "organic rice", "organic"),
    "gift_buyer": ("礼盒", "年货礼盒", "中秋礼盒", "送礼", "茶叶礼盒", "送长辈", "gift box"),
    "bulk_buyer": ("整箱", "量贩装", "批发", "大米 10kg", "家庭装", "bulk"),
    "regional_taste": ("家乡特产", "东北特产", "云南特产", "新疆特产", "local specialty", "老家味道"),
    "anonymous": ("时令水果", "蜂蜜", "苹果", "土鸡蛋", "新茶", "seasonal fruit", "honey"),
}
SEASONAL_QUERIES = ("时令水果", "应季水果", "当季水果", "seasonal fruit")

# --- review phrases: (positive, negative) per product family ---
REVIEW_POS_ZH: dict[str, tuple[str, ...]] = {
    "fruit": ("很新鲜", "很甜", "汁水多", "个头均匀", "果香浓", "脆甜可口", "家里人都爱吃"),
    "fresh": ("很新鲜", "鲜嫩", "品质不错", "冷链到货还是凉的", "和描述一样"),
    "grain": ("米香浓", "口感软糯", "煮粥很香", "颗粒饱满", "孩子爱吃"),
    "tea": ("茶香浓郁", "回甘明显", "耐泡", "汤色透亮", "送人很有面子"),
    "honey": ("纯正天然", "浓稠", "甜而不腻", "结晶细腻", "味道很正"),
    "dried": ("干净无杂质", "泡发率高", "香味足", "品质很好", "性价比高"),
    "eggs": ("蛋黄颜色深", "很新鲜", "没有破损", "炒蛋很香", "孩子爱吃"),
    "cured": ("烟熏味正宗", "咸淡适中", "肥瘦相间", "过年必备", "家乡的味道"),
    "craft": ("做工精细", "很有质感", "手工很用心", "送人很体面", "比图片还好看"),
}
REVIEW_NEG_ZH: dict[str, tuple[str, ...]] = {
    "fruit": ("坏了几个", "不太甜", "个头偏小", "有点酸", "不新鲜"),
    "fresh": ("不新鲜", "到货有异味", "坏了一些", "冰袋化了"),
    "grain": ("有碎米", "口感一般", "包装漏了", "和描述不符"),
    "tea": ("味道一般", "碎茶多", "香气不足", "和描述不符"),
    "honey": ("太稀了", "怀疑不纯", "瓶子漏了", "甜得发腻"),
    "dried": ("有沙子", "受潮了", "碎渣多", "分量不足"),
    "eggs": ("破了好几个", "不新鲜", "个头很小", "有臭蛋"),
    "cured": ("太咸了", "太肥", "有哈喇味", "不好吃"),
    "craft": ("做工粗糙", "有瑕疵", "和图片不符", "运输磕坏了"),
}
REVIEW_POS_EN: dict[str, tuple[str, ...]] = {
    "fruit": ("very fresh", "really sweet", "juicy", "evenly sized", "the family loved them"),
    "fresh": ("very fresh", "arrived still cold", "great quality", "as described"),
    "grain": ("fragrant rice", "soft and sticky", "great for porridge", "plump grains"),
    "tea": ("lovely aroma", "sweet aftertaste", "lasts many infusions", "a great gift"),
    "honey": ("pure and natural", "thick", "not too sweet", "tastes genuine"),
    "dried": ("clean, no grit", "rehydrates well", "very fragrant", "good value"),
    "eggs": ("deep orange yolks", "very fresh", "none broken", "tasty"),
    "cured": ("authentic smoky taste", "not too salty", "tastes like home", "perfect for New Year"),
    "craft": ("finely made", "beautiful work", "a great gift", "better than the photos"),
}
REVIEW_NEG_EN: dict[str, tuple[str, ...]] = {
    "fruit": ("several were rotten", "not sweet", "small fruit", "a bit sour"),
    "fresh": ("not fresh", "smelled off", "the ice packs had melted"),
    "grain": ("lots of broken grains", "bland", "bag was torn"),
    "tea": ("weak flavour", "lots of broken leaves", "not as described"),
    "honey": ("too runny", "doubt it is pure", "jar leaked"),
    "dried": ("gritty", "damp", "short weight"),
    "eggs": ("several broken", "not fresh", "tiny eggs"),
    "cured": ("far too salty", "too fatty", "tastes rancid"),
    "craft": ("rough finish", "has defects", "damaged in transit"),
}
REVIEW_LOGISTICS_ZH = {"fast": ("物流快", "发货快", "第二天就到了", "包装好"), "slow": ("物流慢", "快递太慢了", "路上走了好几天")}
REVIEW_LOGISTICS_EN = {"fast": ("fast delivery", "well packed", "arrived next day"), "slow": ("slow delivery", "took ages to arrive")}
REVIEW_TITLES_ZH = {5: ("好评", "非常满意", "回购"), 4: ("不错", "满意"), 3: ("一般", "还行"), 2: ("有点失望",), 1: ("差评", "不推荐")}
REVIEW_TITLES_EN = {5: ("Excellent", "Will buy again"), 4: ("Good",), 3: ("Okay",), 2: ("Disappointing",), 1: ("Avoid",)}


def review_family(category: str) -> str:
    """Map a category path to the review-phrase family used above."""
    if category.startswith("生鲜/水果"):
        return "fruit"
    if category.startswith("生鲜"):
        return "fresh"
    if category.startswith("粮油"):
        return "grain"
    if category.startswith("茶叶"):
        return "tea"
    if category.startswith("蜂蜜"):
        return "honey"
    if category.startswith("干货"):
        return "dried"
    if category.startswith("禽蛋肉/鸡蛋"):
        return "eggs"
    if category.startswith("禽蛋肉"):
        return "cured"
    return "craft"
