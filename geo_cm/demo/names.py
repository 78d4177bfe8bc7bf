"""Plausible, made-up Chinese names for demo roads and places.

The roots sound like Pukou street names but are combined at random: a demo road called
文德路 is not where the real 文德路 is.
"""

import random

ROOTS = (
    "江浦",
    "浦东",
    "天华",
    "文德",
    "凤凰",
    "象山",
    "珠江",
    "浦珠",
    "龙华",
    "海院",
    "星火",
    "雨山",
    "公园",
    "兴浦",
    "浦园",
    "浦滨",
    "滨江",
    "明发",
    "泰冯",
    "万寿",
    "新浦",
    "龙山",
    "林山",
    "柳州",
    "浦泗",
    "浦乌",
    "江山",
    "学府",
    "求雨",
    "定山",
    "惠民",
    "浦辉",
    "龙泰",
    "步月",
    "旭日",
    "春风",
    "和畅",
    "双峰",
    "七里",
    "古城",
    "南门",
    "北门",
    "园林",
    "石佛",
    "永新",
    "花旗",
    "金汤",
    "龙虎",
    "鸿运",
    "泰西",
    "沿山",
    "晓山",
    "兰花",
    "桂花",
    "梅园",
    "行知",
    "珍珠",
    "白马",
    "青龙",
    "柏子",
    "银杏",
    "梧桐",
    "紫荆",
    "芙蓉",
    "香樟",
    "清风",
    "明月",
    "朝阳",
    "红星",
    "团结",
    "幸福",
    "康华",
    "文昌",
    "书院",
    "迎江",
    "观江",
    "临江",
    "望江",
    "大桥",
    "新华",
    "三河",
    "九龙",
    "四方",
    "泉水",
    "南浦",
    "浦兴",
    "顶峰",
    "泰和",
    "丰收",
    "华光",
    "锦绣",
    "福田",
    "东岳",
    "西华",
    "北辰",
    "南山",
    "秀水",
    "桃园",
    "竹园",
    "松林",
    "枫林",
    "荷塘",
    "渡江",
    "江淮",
    "浦合",
    "宁和",
    "宁六",
    "永丰",
    "星湖",
)
DIRECTIONS = ("东", "西", "南", "北")
VILLAGE_FIRST = (
    "石",
    "后",
    "前",
    "黄",
    "王",
    "李",
    "张",
    "陈",
    "朱",
    "高",
    "新",
    "老",
    "大",
    "小",
    "马",
    "周",
    "吴",
    "孙",
    "杨",
    "丁",
)
VILLAGE_SECOND = (
    "桥",
    "圩",
    "庄",
    "岗",
    "塘",
    "湾",
    "营",
    "集",
    "店",
    "埠",
    "洼",
    "坝",
    "墩",
    "冲",
    "郢",
)


class NamePool:
    """Draws unique names: ``pool.road(rng, "路")`` -> 天华西路, never the same twice."""

    def __init__(self):
        self.used: set[str] = set()

    def _unique(self, rng: random.Random, make) -> str:
        for _ in range(1000):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("Name pool exhausted; add roots to geo_cm/demo/names.py.")

    def road(self, rng: random.Random, suffix: str, *, directional: float = 0.2) -> str:
        """A road name: root, sometimes a direction (天华西路), then ``suffix`` (路, 大道, 巷)."""

        def make():
            root = rng.choice(ROOTS)
            direction = rng.choice(DIRECTIONS) if rng.random() < directional else ""
            return f"{root}{direction}{suffix}"

        return self._unique(rng, make)

    def root(self, rng: random.Random, suffix: str = "") -> str:
        """A root with an optional suffix (e.g. 象山 + 小学), unique in this pool."""
        return self._unique(rng, lambda: rng.choice(ROOTS) + suffix)

    def village(self, rng: random.Random) -> str:
        """A village name such as 石桥村."""
        return self._unique(
            rng, lambda: rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_SECOND) + "村"
        )
