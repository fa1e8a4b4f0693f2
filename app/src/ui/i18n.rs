//! User-interface language: Chinese or English, Chinese by default when
//! the system locale is zh. Strings live in one table so a missing
//! translation is a compile-time-visible omission, not a silent fallback.

use bevy::prelude::Resource;

#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// From `LC_ALL`, `LC_MESSAGES` or `LANG` (first one set), as POSIX orders them.
    pub fn from_env() -> Lang {
        Self::from_locale(
            ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
                .as_deref(),
        )
    }

    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// The UI string for `key`; unknown keys are shown as themselves.
    pub fn t(self, key: &'static str) -> &'static str {
        STRINGS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, en, zh)| if self == Lang::Zh { zh } else { en })
    }
}

/// (key, English, Chinese)
const STRINGS: &[(&str, &str, &str)] = &[
    ("app.title", "CIM Studio", "CIM Studio 城市信息模型"),
    ("menu.file", "File", "文件"),
    ("menu.view", "View", "视图"),
    ("menu.help", "Help", "帮助"),
    ("menu.language", "Language", "语言"),
    ("file.save", "Save scene", "保存场景"),
    ("file.save_as", "Save scene as…", "场景另存为…"),
    (
        "file.add_layer",
        "Add data file or folder…",
        "添加数据文件或文件夹…",
    ),
    ("file.path", "Path", "路径"),
    ("file.quit", "Quit", "退出"),
    ("action.ok", "OK", "确定"),
    ("action.cancel", "Cancel", "取消"),
    ("panel.layers", "Layers", "图层"),
    ("panel.inspector", "Inspector", "属性"),
    ("panel.messages", "Messages", "消息"),
    ("layer.loading", "loading…", "加载中…"),
    ("layer.failed", "failed", "加载失败"),
    ("layer.opacity", "Opacity", "不透明度"),
    ("layer.zoom", "Zoom to layer", "缩放至图层"),
    ("layer.features", "features", "个要素"),
    ("layer.terrain", "Terrain", "地形"),
    ("layer.buildings", "Buildings", "建筑"),
    ("layer.roads", "Roads", "道路"),
    ("layer.water", "Water", "水系"),
    ("layer.parks", "Parks", "公园绿地"),
    (
        "inspector.none",
        "Click a building or a tileset to see its attributes.",
        "点击建筑或瓦片模型查看属性。",
    ),
    ("inspector.layer", "Layer", "图层"),
    ("inspector.field", "Field", "字段"),
    ("inspector.value", "Value", "值"),
    ("inspector.copy", "Copy", "复制"),
    ("inspector.tile", "Tile", "瓦片"),
    ("inspector.level", "Level", "层级"),
    ("inspector.geometric_error", "Geometric error", "几何误差"),
    ("inspector.content", "Content", "内容"),
    ("inspector.feature", "Feature", "要素"),
    (
        "inspector.no_features",
        "This content has no features.",
        "该内容没有要素。",
    ),
    (
        "inspector.scope.tileset",
        "Tileset metadata",
        "瓦片集元数据",
    ),
    ("inspector.scope.group", "Group metadata", "分组元数据"),
    ("inspector.scope.tile", "Tile metadata", "瓦片元数据"),
    ("inspector.scope.content", "Content metadata", "内容元数据"),
    ("status.cursor", "Cursor", "光标"),
    ("status.camera_height", "Camera height", "相机高度"),
    ("status.fps", "FPS", "帧率"),
    (
        "status.synthetic",
        "Synthetic demo city: not real data",
        "合成演示城市：非真实数据",
    ),
    ("time.play", "Play", "播放"),
    ("time.pause", "Pause", "暂停"),
    ("time.label", "Scene time", "场景时间"),
    ("view.views", "Views", "视点"),
    ("view.north_up", "North up (N)", "正北朝上 (N)"),
    ("view.zoom_all", "Zoom to all (H)", "全图 (H)"),
    ("view.fly_mode", "Fly mode (F)", "飞行模式 (F)"),
    ("view.save_view", "Save current view", "保存当前视点"),
    (
        "view.stream_budget",
        "Streaming memory (MB)",
        "流式加载内存 (MB)",
    ),
    ("help.title", "Keyboard and mouse", "键盘与鼠标"),
    (
        "help.left_drag",
        "Left drag: pan (grab the ground)",
        "左键拖动：平移",
    ),
    (
        "help.right_drag",
        "Right / middle drag: orbit about the point under the cursor",
        "右键/中键拖动：绕光标处旋转",
    ),
    (
        "help.wheel",
        "Wheel: zoom towards the cursor",
        "滚轮：向光标处缩放",
    ),
    (
        "help.click",
        "Click: select and inspect a building",
        "单击：选择并查看建筑属性",
    ),
    (
        "help.double_click",
        "Double click: fly towards the point",
        "双击：飞向该点",
    ),
    (
        "help.fly",
        "F: fly mode (W A S D, Q/E down/up, Shift faster, right drag looks)",
        "F：飞行模式（W A S D 移动，Q/E 下降/上升，Shift 加速，右键拖动转向）",
    ),
    ("help.north", "N: north up", "N：正北朝上"),
    ("help.home", "H / Home: zoom to all", "H / Home：全图"),
    (
        "help.views",
        "1–9: go to the scene's named views",
        "1–9：切换场景视点",
    ),
    ("help.help", "F1: this help", "F1：显示本帮助"),
    (
        "msg.no_cjk_font",
        "No CJK font found: Chinese text may not display. Install fonts-noto-cjk.",
        "未找到中文字体，请安装 fonts-noto-cjk。",
    ),
    ("msg.dismiss", "Dismiss", "关闭"),
    ("panel.tools", "Tools", "工具"),
    ("layer.table", "Attribute table", "属性表"),
    ("style.title", "Style & legend", "样式与图例"),
    ("style.mode", "Symbology", "符号化"),
    ("style.single", "Single colour", "单一符号"),
    ("style.categorized", "Categorized", "分类"),
    ("style.graduated", "Graduated", "分级"),
    ("style.field", "Field", "字段"),
    ("style.method", "Classes by", "分级方法"),
    ("style.equal_interval", "Equal interval", "等间距"),
    ("style.quantile", "Quantile", "分位数"),
    (
        "style.natural_breaks",
        "Natural breaks (Jenks)",
        "自然断点 (Jenks)",
    ),
    ("style.manual", "Manual", "手动"),
    ("style.classes", "Classes", "级数"),
    ("style.ramp", "Colour ramp", "色带"),
    ("style.default", "(default)", "(默认)"),
    ("style.time_field", "Appears from", "出现时间"),
    ("style.always", "(always shown)", "(始终显示)"),
    ("style.more", "more", "项未显示"),
    ("tstyle.show", "Show where", "显示条件"),
    ("tstyle.tint", "Colour", "颜色"),
    (
        "tstyle.conditions",
        "Colour where (first that holds)",
        "按条件着色（取首个成立项）",
    ),
    ("tstyle.add", "+ condition", "+ 条件"),
    ("tstyle.point_size", "Point size", "点大小"),
    ("model.storey", "Storey", "楼层"),
    ("panel.pipe_results", "Hydraulic results", "管网水力结果"),
    ("panel.corridor", "Pipe corridor", "管线综合分析"),
    ("flood.title", "Flood simulation", "内涝模拟"),
    ("flood.scenario", "Scenario", "情景文件"),
    ("flood.run", "Run", "运行"),
    ("flood.stop", "Stop", "停止"),
    ("flood.clear", "Clear", "清除"),
    ("flood.steps", "steps", "步"),
    ("flood.mass_error", "mass error", "水量误差"),
    (
        "flood.hint",
        "Enter a flood scenario file (TOML, as cim flood run reads) and run it.",
        "输入内涝情景文件（TOML，与 cim flood run 相同）并运行。",
    ),
    ("flood.time", "Time", "时间"),
    ("flood.follow", "Follow the run", "跟随模拟"),
    ("flood.depth", "Depth", "水深"),
    ("flood.arrows", "Velocity arrows", "流速箭头"),
    ("flood.probe", "Probe a point", "点位水深查询"),
    (
        "flood.probe_hint",
        "Click in the view to see the water depth there over time.",
        "在视图中点击，查看该点水深随时间的变化。",
    ),
    ("flood.now", "now", "当前"),
    ("flood.peak", "peak", "最大"),
    ("flood.threshold", "Flooded at", "积水阈值"),
    (
        "flood.buildings_flooded",
        "buildings in deeper water",
        "栋建筑周边积水超过阈值",
    ),
    ("burst.title", "Burst analysis", "爆管分析"),
    ("burst.pipe", "Pipe", "管段"),
    ("burst.isolate", "Isolate", "关阀分析"),
    (
        "burst.hint",
        "Select a pipe of the network.",
        "在视图中选择管网中的一段管道。",
    ),
    ("burst.valves", "valves to close", "个阀门需关闭"),
    ("burst.nodes", "nodes", "个节点停水"),
    ("burst.links", "pipes dry", "段管道停水"),
    ("burst.valves_from", "valves:", "阀门来源："),
    ("burst.hydrants", "hydrants out of service", "个消火栓停水"),
    (
        "burst.simulate",
        "Simulate with the valves closed",
        "关阀后水力模拟",
    ),
    ("burst.scenario", "Burst of", "爆管"),
    (
        "corridor.check",
        "Check clearances and collisions",
        "净距与碰撞检查",
    ),
    ("corridor.cover", "Check cover", "覆土检查"),
    ("corridor.checked", "lines checked", "条管线已检查"),
    ("corridor.shallow", "too shallow", "条覆土不足"),
    ("corridor.section", "Section along the line", "沿测线剖切"),
    ("corridor.along", "lines within", "纵向收录"),
    ("corridor.dig", "Dig inside the area", "开挖分析"),
    ("corridor.depth", "depth", "深度"),
    (
        "corridor.hint",
        "Measure a distance or path for a section, an area for a dig.",
        "用距离或折线测量画剖切线，用面积测量画开挖范围。",
    ),
    ("corridor.running", "Analysing…", "分析中…"),
    ("corridor.lines", "utility lines", "条管线"),
    ("corridor.clear", "Clear", "清除"),
    ("corridor.collision", "Collision", "碰撞"),
    ("corridor.vertical", "Vertical", "垂直净距"),
    ("corridor.horizontal", "Horizontal", "水平净距"),
    (
        "corridor.unruled",
        "No rule (not checked)",
        "无规则（未检查）",
    ),
    ("corridor.exposed", "Exposed", "挖出"),
    ("corridor.within_margin", "Within margin", "安全距离内"),
    ("corridor.unknown_depth", "Depth unknown", "埋深未知"),
    ("corridor.near", "Near", "邻近"),
    ("corridor.below", "Below", "在开挖面以下"),
    ("corridor.cut", "lines cut", "条管线被剖切"),
    ("corridor.show_drawing", "Show the drawing", "显示断面图"),
    ("corridor.drawing", "Section", "断面图"),
    ("corridor.export", "Export", "导出"),
    ("pipes.velocity", "Velocity", "流速"),
    ("pipes.flow", "Flow", "流量"),
    ("pipes.pressure", "Pressure", "压力"),
    (
        "pipes.running",
        "Simulating (EPANET)…",
        "正在模拟（EPANET）…",
    ),
    ("pipes.step", "Step", "时刻"),
    ("pipes.table", "Results table", "结果表"),
    ("pipes.animate", "Animate the flow", "水流方向动画"),
    ("pipes.steps", "steps", "个时段"),
    ("pipes.scenario", "Scenario:", "工况："),
    ("pipes.scenario_running", "Simulating", "正在模拟"),
    ("pipes.closed_links", "links closed", "条管段关闭"),
    (
        "pipes.out_of_service",
        "junctions out of service",
        "个节点停水",
    ),
    (
        "pipes.newly_low",
        "junctions newly below",
        "个节点压力降至低于",
    ),
    ("pipes.drops", "junctions lose pressure", "个节点压力下降"),
    ("pipes.normal", "Back to normal operation", "恢复正常工况"),
    ("model.all_storeys", "All storeys", "全部楼层"),
    ("model.classes", "Element classes", "构件类别"),
    ("place.title", "Placement", "位置"),
    ("place.east", "East", "东移"),
    ("place.north", "North", "北移"),
    ("place.up", "Up", "抬升"),
    ("place.heading", "Heading", "旋转"),
    ("place.scale", "Scale", "缩放"),
    ("place.clamp", "Set on terrain", "贴地"),
    (
        "place.clamp_hint",
        "Lower or raise it so the base of its bounds lies on the terrain under its centre",
        "升降模型，使其包围盒底面落在中心处的地形上",
    ),
    ("place.reset", "Reset", "复位"),
    ("tstyle.properties", "Properties", "属性"),
    ("table.title", "Attribute table", "属性表"),
    ("table.filter", "Filter", "筛选"),
    ("table.apply", "Apply", "应用"),
    ("table.clear", "Clear", "清除"),
    ("table.zoom_rows", "Zoom to rows", "缩放至结果"),
    ("table.copy", "Copy (TSV)", "复制 (TSV)"),
    ("view.ground_opacity", "Ground", "地表不透明度"),
    (
        "view.ground_opacity_hint",
        "Lower it to see underground pipes; the camera may then go below ground",
        "调低可透视地下管线，此时相机可进入地下",
    ),
    ("tools.search", "Search", "搜索"),
    (
        "tools.search_hint",
        "name, e.g. 花园 or tower",
        "名称，例如 花园",
    ),
    ("tools.query", "Attribute query", "属性查询"),
    ("tools.run", "Run", "执行"),
    ("tools.measure", "Measure", "量测"),
    ("tools.off", "Off", "关闭"),
    ("tools.distance", "Distance", "距离"),
    ("tools.polyline", "Path length", "折线长度"),
    ("tools.area", "Area", "面积"),
    ("tools.height", "Height", "高度"),
    ("tools.readout", "Coordinates", "坐标读数"),
    ("edits.title", "Tileset edits", "模型编辑"),
    (
        "edits.hint",
        "Measure an area to clip or flatten the tileset there.",
        "量测一个面积，即可在其中裁剪或压平模型。",
    ),
    ("edits.clip", "Hide inside the area", "裁剪（隐藏区域内）"),
    ("edits.flatten", "Flatten to", "压平至"),
    ("edits.clipped", "clipped", "裁剪"),
    ("edits.flattened", "flattened", "压平"),
    ("edits.clear", "Clear edits", "清除编辑"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_picks_the_language() {
        assert_eq!(Lang::from_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("zh_TW")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
    }

    #[test]
    fn every_string_is_translated_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, zh) in STRINGS {
            assert!(keys.insert(k), "duplicate key {k}");
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
        }
        assert_eq!(Lang::Zh.t("panel.layers"), "图层");
        assert_eq!(Lang::En.t("panel.layers"), "Layers");
    }

    /// Every literal key a panel asks for (`l.t("…")`) is in the table: an
    /// unknown key would show as itself.
    #[test]
    fn every_key_the_code_asks_for_is_in_the_table() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let known: std::collections::HashSet<&str> = STRINGS.iter().map(|s| s.0).collect();
        let mut missing = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (i, _) in text.match_indices(".t(\"") {
                let rest = &text[i + 4..];
                let Some(end) = rest.find('"') else { continue };
                let key = &rest[..end];
                if key.contains('.') && !key.contains(' ') && !known.contains(key) {
                    missing.push(format!("{}: {key}", f.display()));
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from STRINGS: {missing:?}");
    }
}
