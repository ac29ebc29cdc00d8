"""Small reviewed tables the reader uses beside the owner's own product names (pure data).

Each table is short on purpose: a word here is accepted without asking, in every
group, so only words a 团长 would accept without a second thought belong here.
Add to them with a test in tests/parsing/test_reader_table.py.
"""

from __future__ import annotations

# Words that name the same thing. A product whose name holds one of them is also
# named by the others (黄心土豆 → 黄心马铃薯, 马铃薯); a product named by the
# word itself keeps its own name whatever the table says (a stall selling both
# 菠萝 and 凤梨 has two products, each by its full name).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("土豆", "马铃薯", "洋芋", "薯仔"),
    ("菠萝", "凤梨"),
    ("番茄", "西红柿", "蕃茄"),
    ("红薯", "地瓜", "番薯", "红苕", "山芋"),
    ("玉米", "苞米", "粟米", "包谷"),
    ("猕猴桃", "奇异果"),
    ("车厘子", "樱桃"),
    ("草莓", "士多啤梨"),
    ("黄瓜", "青瓜"),
    ("卷心菜", "包菜", "圆白菜", "椰菜", "包心菜"),
    ("西兰花", "西蓝花", "青花菜"),
    ("花菜", "菜花", "花椰菜"),
    ("香菜", "芫荽"),
    ("牛油果", "鳄梨"),
    ("番石榴", "芭乐"),
    ("西柚", "葡萄柚"),
    ("杨桃", "阳桃"),
    ("榴莲", "榴梿"),
    ("龙眼", "桂圆"),
    ("山药", "淮山"),
    ("芋头", "芋艿"),
    ("茄子", "矮瓜"),
    ("鸡翅", "鸡翼"),
    ("橘", "桔"),  # one character, written both ways: 砂糖橘 / 砂糖桔
)

# An emoji names the one product whose name holds one of its words and none of its
# "-" words (🥭 → 芒果; 🍐 is no 凤梨); with two such products (🍊 and 砂糖橘, 脐橙) it
# names neither and stays decoration. An emoji the owner wrote in the product line
# names that product.
EMOJI: dict[str, tuple[str, ...]] = {
    "🥭": ("芒果", "芒"),
    "🍓": ("草莓", "士多啤梨"),
    "🍊": ("橘", "桔", "橙", "柑"),
    "🍋": ("柠檬",),
    "🍎": ("苹果",),
    "🍏": ("青苹果", "苹果"),
    "🍐": ("梨", "-凤梨", "-鳄梨", "-啤梨"),
    "🍑": ("桃", "-猕猴桃", "-核桃", "-杨桃", "-阳桃", "-樱桃", "-胡桃"),
    "🍒": ("樱桃", "车厘子"),
    "🍇": ("葡萄", "提子", "阳光玫瑰"),
    "🍉": ("西瓜",),
    "🍈": ("哈密瓜", "甜瓜", "香瓜"),
    "🍌": ("香蕉", "芭蕉"),
    "🍍": ("菠萝", "凤梨"),
    "🥝": ("猕猴桃", "奇异果"),
    "🥥": ("椰", "-椰菜"),
    "🥑": ("牛油果",),
    "🫐": ("蓝莓",),
    "🍅": ("番茄", "西红柿"),
    "🍆": ("茄子",),
    "🥔": ("土豆", "马铃薯"),
    "🍠": ("红薯", "地瓜", "番薯"),
    "🥕": ("胡萝卜",),
    "🌽": ("玉米",),
    "🌶": ("辣椒",),
    "🥒": ("黄瓜", "青瓜"),
    "🥦": ("西兰花", "西蓝花"),
    "🧄": ("大蒜", "蒜"),
    "🧅": ("洋葱",),
    "🍄": ("蘑菇", "菇"),
    "🥜": ("花生",),
    "🌰": ("栗",),
    "🥚": ("鸡蛋", "鸭蛋", "鹅蛋"),
    "🥛": ("牛奶", "鲜奶", "纯奶"),
    "🍞": ("面包", "吐司"),
    "🦐": ("虾",),
    "🦀": ("蟹",),
    "🐟": ("鱼", "-鱿鱼", "-鱼丸", "-墨鱼"),
    "🥩": ("牛排", "牛肉"),
    "🍗": ("鸡腿", "鸡翅", "烤鸡", "炸鸡"),
    "🍯": ("蜂蜜",),
    "🍵": ("茶叶", "绿茶", "红茶"),
    "🍰": ("蛋糕",),
}

# A name ending in one of these fruits is also called by the fruit's everyday word (砂糖橘 → 橘子,
# 红心柚 → 柚子, 水蜜桃 → 桃子, 贵妃芒 → 芒果), unless that ending is part of another fruit's name (凤梨
# is no 梨子, 猕猴桃 no 桃子).
EVERYDAY_FRUIT: dict[str, str] = {
    "橘": "橘子", "桔": "桔子", "柚": "柚子", "橙": "橙子", "桃": "桃子", "梨": "梨子", "李": "李子",
    "杏": "杏子", "柿": "柿子", "栗": "栗子", "枣": "枣子", "梅": "梅子", "椰": "椰子", "柑": "柑子",
    "芒": "芒果", "蕉": "香蕉",
}
NOT_THAT_FRUIT = ("凤梨", "鳄梨", "啤梨", "猕猴桃", "杨桃", "阳桃", "核桃", "胡桃", "樱桃", "椰菜")

# Units members write in English, each as good as 份 for any product.
ENGLISH_UNITS = ("boxes", "box", "bags", "bag", "packs", "pack", "pcs", "pc", "pieces", "piece", "bottles",
                 "bottle", "trays", "tray", "sets", "set", "portions", "portion")
ENGLISH_NUMBERS: dict[str, int] = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                                   "eight": 8, "nine": 9, "ten": 10}

# Units that count pieces: one is as good as another (苹果 5元/个, "苹果3只").
COUNTING = frozenset(("个", "只", "颗", "枚", "粒"))
# Units that fit any product: "草莓2份", "2个草莓" for a product sold by the box.
GENERIC = frozenset(("份", "件", "单", "人份", "个", *ENGLISH_UNITS))
# Units of weight and volume: a product sold by the 盒 is never ordered by the 斤 without asking.
WEIGHT = frozenset(("斤", "公斤", "千克", "kg", "两", "克", "g"))
# Pairs of units that mean the same pack.
SAME_UNIT: tuple[frozenset[str], ...] = (COUNTING, frozenset(("袋", "包")), frozenset(("公斤", "千克", "kg")),
                                          frozenset(("克", "g")), frozenset(("瓶", "支")))
