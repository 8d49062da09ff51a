/** The simulator page's style: a phone-sized WeChat chat (colours and proportions of WeChat's own). */
export const SIMULATOR_STYLE = `
*{box-sizing:border-box}
[hidden]{display:none!important}
html,body{margin:0;height:100%}
body{font:15px/1.45 -apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
  background:#d8dbe0;color:#111;display:flex;justify-content:center;align-items:center}
.phone{width:100%;max-width:414px;height:100%;max-height:860px;background:#ededed;display:flex;flex-direction:column;position:relative;overflow:hidden}
@media (min-width:480px) and (min-height:700px){.phone{height:calc(100% - 40px);border-radius:28px;box-shadow:0 12px 40px rgba(0,0,0,.25);border:8px solid #1d1d1f}}
.top{height:48px;flex:none;display:flex;align-items:center;justify-content:space-between;padding:0 6px;background:#ededed;border-bottom:1px solid #d9d9d9}
.top button{background:none;border:0;font-size:22px;width:40px;height:40px;color:#111;cursor:pointer;border-radius:6px}
.top button:hover{background:rgba(0,0,0,.05)}
.title{text-align:center;line-height:1.2;min-width:0}
.title .name{font-weight:600;font-size:16px}
.title .status{font-size:11px;color:#888;height:14px;white-space:nowrap}
.banner{flex:none;font-size:12px;padding:6px 12px;line-height:1.4}
.banner.demo{background:#fff3cd;color:#7a5b00;border-bottom:1px solid #f0dd9a}
.banner.live{background:#e7f0fd;color:#1d4f91;border-bottom:1px solid #c7dbf7}
.chat{flex:1;overflow-y:auto;padding:8px 12px 16px;scroll-behavior:smooth}
.time{text-align:center;margin:14px 0 8px}
.time span,.notice span{font-size:12px;color:#fff;background:#cecece;border-radius:4px;padding:2px 6px}
.notice{text-align:center;margin:10px 24px;line-height:1.9}
.notice span{background:#dadada;color:#666;display:inline-block;line-height:1.5}
.row{display:flex;align-items:flex-start;margin:10px 0;gap:8px}
.row.user{flex-direction:row-reverse}
.avatar{flex:none;width:40px;height:40px;border-radius:5px;display:flex;align-items:center;justify-content:center;font-size:13px;font-weight:600;color:#fff}
.row.account .avatar{background:linear-gradient(135deg,#1aad19,#0b8f3a)}
.row.user .avatar{background:linear-gradient(135deg,#6f86d6,#48c6ef)}
.stack{display:flex;flex-direction:column;max-width:calc(100% - 96px)}
.row.user .stack{align-items:flex-end}
.bubble{position:relative;padding:9px 12px;border-radius:5px;background:#fff;word-wrap:break-word;overflow-wrap:anywhere;white-space:pre-wrap;min-height:40px}
.bubble::before{content:"";position:absolute;top:13px;border:6px solid transparent}
.row.account .bubble::before{left:-11px;border-right-color:#fff}
.row.user .bubble{background:#95ec69}
.row.user .bubble::before{right:-11px;border-left-color:#95ec69}
.bubble a{color:#576b95;text-decoration:none}
.bubble.media{padding:0;background:none;min-height:0}
.bubble.media::before{display:none}
.bubble.media img{display:block;max-width:180px;max-height:240px;border-radius:5px;cursor:zoom-in;background:#ddd}
.bubble.voice{cursor:pointer;min-width:90px;user-select:none}
.bubble.voice.playing{opacity:.7}
.bubble.card{padding:0;width:240px;overflow:hidden;white-space:normal}
.bubble.card::before{display:none}
.card img{display:block;width:100%;height:120px;object-fit:cover;background:#ddd}
.card .card-text{padding:8px 12px}
.card .card-title{font-weight:600}
.card .card-description{font-size:13px;color:#888;margin-top:2px}
.options .option{display:block;color:#576b95;cursor:pointer;margin:4px 0}
.options .option:hover{text-decoration:underline}
.delivery{font-size:11px;color:#999;margin-top:3px;max-width:240px;text-align:right}
.delivery.bad{color:#d9534f}
.composer{flex:none;background:#f7f7f7;border-top:1px solid #d9d9d9}
.inputbar{display:flex;align-items:center;gap:6px;padding:8px}
.icon{flex:none;width:34px;height:34px;border-radius:50%;border:1.5px solid #333;background:none;font-size:16px;line-height:1;cursor:pointer;color:#333;display:flex;align-items:center;justify-content:center;padding:0}
.icon:hover{background:#eaeaea}
.icon svg{width:18px;height:18px;stroke:#333;fill:none;stroke-width:1.8;stroke-linecap:round}
.inputbar input[type=text]{flex:1;min-width:0;height:38px;border:0;border-radius:5px;padding:0 10px;font:inherit;background:#fff;outline:none}
.send{flex:none;height:34px;padding:0 14px;border:0;border-radius:5px;background:#07c160;color:#fff;font:inherit;cursor:pointer}
.send:disabled{background:#b9e5cc;cursor:default}
.menubar{display:flex;height:50px;position:relative}
.menubar .toggle{flex:none;width:50px;display:flex;align-items:center;justify-content:center;border-right:1px solid #dcdcdc}
.menubutton{flex:1;border:0;border-right:1px solid #dcdcdc;background:none;font:inherit;font-size:14px;cursor:pointer;color:#111;padding:0 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.menubutton:last-child{border-right:0}
.menubutton:hover{background:#ececec}
.submenu{position:absolute;bottom:56px;background:#fff;border:1px solid #dcdcdc;border-radius:6px;box-shadow:0 4px 16px rgba(0,0,0,.12);min-width:120px;z-index:5}
.submenu button{display:block;width:100%;border:0;border-bottom:1px solid #eee;background:none;font:inherit;font-size:14px;padding:10px 14px;cursor:pointer;text-align:center;white-space:nowrap}
.submenu button:last-child{border-bottom:0}
.submenu button:hover{background:#f3f3f3}
.hint{font-size:11px;color:#999;padding:0 12px 6px}
.sheet{position:absolute;inset:0;background:rgba(0,0,0,.35);display:none;z-index:10;align-items:flex-end}
.sheet.open{display:flex}
.sheet .panel{background:#fff;width:100%;border-radius:12px 12px 0 0;padding:16px;font-size:14px}
.sheet h2{font-size:16px;margin:0 0 12px}
.sheet label{display:block;margin:10px 0 4px;color:#555;font-size:13px}
.sheet input,.sheet select{width:100%;height:36px;font:inherit;padding:0 8px;border:1px solid #ccc;border-radius:5px;background:#fff}
.sheet .buttons{display:flex;gap:8px;margin-top:14px;flex-wrap:wrap}
.sheet .buttons button{flex:1;height:36px;border:1px solid #ccc;border-radius:5px;background:#f7f7f7;font:inherit;cursor:pointer}
.sheet .buttons button.primary{background:#07c160;border-color:#07c160;color:#fff}
.sheet p{color:#777;font-size:12px;margin:10px 0 0}
.toast{position:absolute;left:50%;top:45%;transform:translate(-50%,-50%);background:rgba(0,0,0,.75);color:#fff;padding:10px 16px;border-radius:8px;font-size:13px;display:none;z-index:20;max-width:80%;text-align:center}
.toast.show{display:block}
.viewer{position:absolute;inset:0;background:rgba(0,0,0,.9);display:none;align-items:center;justify-content:center;z-index:30;cursor:zoom-out}
.viewer.open{display:flex}
.viewer img{max-width:100%;max-height:100%}
`;
