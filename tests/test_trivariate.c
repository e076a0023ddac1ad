/* test_trivariate.c -- the trivariate normal cdf and rectangle probabilities vs closed forms and mpmath.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * References: closed forms (orthant, independent blocks, REFERENCE_VALUES.md
 * section 2) and tests/gen_refs_lowdim.py (mpmath: one-factor integrals for
 * rectangles, scaled so log P is relative-accurate deep in the tails; the
 * conditional integral phi(t) Phi2(conditional) for general matrices),
 * pasted below; regenerate with `python3 tests/gen_refs_lowdim.py tvn`
 * (about 5 minutes).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "exact/exact.h"
#include "mvnorm.h"
#include "tap.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PI 3.14159265358979323846

/* ---- reference tables (generated, do not edit by hand) ---- */
/* lo[3], hi[3], r12, r13, r23, P, log P (one-factor structures) */
static const double tvn_rect_refs[][11] = {
    {-INFINITY, -INFINITY, -INFINITY, -8.0, -8.0, -8.0, 0.25, 0.25, 0.25, 6.700698843912773672968674e-32, -7.178051114979032820624594e+1},
    {-INFINITY, -INFINITY, -INFINITY, -20.0, -15.0, -18.0, -0.21, 0.42, -0.18, 3.984121281160704422527148e-211, -4.844631378404262278392823e+2},
    {1.0, 2.0, 3.0, INFINITY, INFINITY, INFINITY, 0.7200000000000001, 0.63, 0.5599999999999999, 5.63213637114175941903988e-4, -7.481851539787563945710191},
    {-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -0.25, 0.25, -0.25, 3.322103629798674323726131e-1, -1.101986887286885353963558},
    {-INFINITY, -INFINITY, -INFINITY, 0.0, 0.0, 0.0, 0.81, 0.81, 0.81, 3.503997142361784694963399e-1, -1.048680735456253577207633},
    {-INFINITY, -INFINITY, -INFINITY, -40.0, -40.0, -40.0, 0.6400000000000001, 0.6400000000000001, 0.6400000000000001, 0.0, -1.063384656098848256059194e+3},
    {-9.299604031927922, -INFINITY, -5.2858937168026205, -7.723695906466572, 0.1668840879266854, 13.734716942124487, -0.1010962168606892, 0.4087770909227541, -0.12400207688033951, 1.481500244331510581264441e-15, -3.414572114195750785914901e+1},
    {-INFINITY, -INFINITY, -5.831270523316003, 11.899044661995239, 17.426977660092412, -5.524107630668657, 0.016798637910379333, 0.021612156936486552, 0.37594430073907203, 1.380787479133105839641042e-8, -1.809802677048168830273897e+1},
    {-20.087647643875428, 0.16640017944160196, 8.331550002140327, 34.06185501132252, 0.23303284418302933, 8.878123535086706, -0.43789927015735286, 0.030929647098288438, -0.051541691409213046, 8.601190664627796270465008e-19, -4.159721612383531104574675e+1},
    {-27.455612925397794, -9.156576095262569, -INFINITY, INFINITY, -9.129264351656495, 11.367100900845985, 0.019201626239002387, -0.22739941343888737, -0.025016138839578716, 7.698152993947988013116919e-21, -4.631330652370479644270808e+1},
    {6.35039896275146, -2.9778357307396233, 6.974738489539497, 6.806183037492171, 2.452253793362533, INFINITY, -0.002130709316291649, 0.038813243206167136, -0.03302373895959988, 8.729333062597694254415074e-22, -4.849018307497273940270533e+1},
    {-0.14548006503929178, 8.904158079267486, -INFINITY, 5.918449156168732, INFINITY, 8.102123975496873, -0.038696095172117285, -0.32316241272635143, 0.06794669933848767, 1.127991316889319680256551e-19, -4.362867831163378531554364e+1},
    {-INFINITY, -5.642679692388257, -7.829927757136624, 26.841591295123138, 4.7246258365851554, -7.791225129458895, 0.6561119642590983, -0.7268781130482226, -0.7470982430437699, 4.167183022338686505665236e-17, -3.771670630757545936791469e+1},
    {8.612987969933972, -19.80599642644808, -28.02912310931609, INFINITY, 9.913210623101676, 9.753696298148478, 0.3551960062503731, -0.22257375990413658, -0.36397144842174617, 3.55902829032866349833965e-18, -4.017704411844197241282743e+1},
    {-0.37504088872489305, -INFINITY, -INFINITY, 17.27470633901945, -3.1802170065187134, 0.8708041625854324, 0.48208038735305914, 0.4073746438312297, 0.2435127576785839, 4.682435020101218150320475e-5, -9.969107186911143766638823},
    {-2.671634505622239, 2.7399478627321914, -9.354538718206728, INFINITY, 2.9150025364731063, -9.308949159307778, -0.09707584832617935, -0.02668102597997349, 0.0040668960904608805, 2.611698336469633723307584e-24, -5.430204151851009362947964e+1},
    {-10.103253371700529, -6.447560958578869, -19.212841958742242, -10.055534047682368, INFINITY, 26.524892732200907, -0.03850204680901491, -0.30514597763812645, 0.02775306208290011, 1.670497135600362018475733e-24, -5.474892096373987436657862e+1},
    {-4.236983762062632, -6.698668563155525, -15.375554619183106, INFINITY, -6.469267677406712, -2.4288494573399477, -0.47180038142633635, -0.3963124938688358, 0.33546491613732127, 1.563621128167872297332949e-11, -2.48814316555745050634237e+1},
    {-4.3880808666093305, -5.576944236615008, 7.186762524035095, 6.07973549967693, 10.81583243712956, 7.214093421069799, 0.37783213663949583, -0.5294505906401067, -0.531519353727146, 4.453113055876283134205019e-14, -3.074258788720044352438834e+1},
    {1.3319970505561, -28.41669365874688, -2.131838109643698, 1.3573764574032667, 19.00979076026244, INFINITY, -0.09365574705325257, -0.09867787376640041, 0.29296223380315606, 4.008461576697458277285203e-3, -5.519347757983748856067159},
    {4.328802795064895, -32.01933021344782, 3.868658645373254, 4.41757885769659, INFINITY, 9.037400303825256, 0.18395997744477707, -0.33075725740787426, -0.13097065280720693, 2.245882969532851982678641e-14, -3.142709255313211515853874e+1},
    {-11.089301766742617, -10.433830705882862, 1.633364296192938, -11.068716254005286, -9.852010449776138, 1.8194296189489334, -0.11233346971712602, -0.004115317223930315, 0.009953019729510027, 8.104044626417629374442244e-60, -1.360627423059966108394412e+2},
    {-4.092426655782012, -7.585668689293734, 0.303031401132678, 5.145415801089157, -6.968861883466077, 21.18500389829117, 0.01868641623697246, -0.004368214622107632, -0.007782526845117208, 6.357947751506271572280327e-13, -2.808390056422391880554085e+1},
    {-INFINITY, 6.615501405273655, -INFINITY, 25.490848651412332, 17.104385916432413, -1.2040667745275577, -0.1279369191186045, 0.193315851763204, -0.5180860905368084, 1.844623812809201676519774e-11, -2.471616066172789236286409e+1},
    {-INFINITY, -INFINITY, -4.693572974501935, 6.395731717125788, 3.8358255156590118, INFINITY, -0.21376573907933236, 0.20752280818987756, -0.6338732613741725, 9.999363188794718780226157e-1, -6.368314825676364751892774e-5},
    {-7.063160732004775, -7.740619591140154, 4.145554567322133, -3.62434413146886, -7.697754327365921, 4.250272164906182, -0.12594464797270372, -0.05361935238285831, 0.06978140169518988, 5.180778014547908425436958e-27, -6.052484226998744089281001e+1},
    {-12.875794618720978, 7.350534286427005, -6.300498739188941, 31.564858119856527, 7.3880896015509245, INFINITY, 0.48915761453764395, 0.33421030976514593, 0.39208696042203806, 2.423138554499804059681594e-14, -3.135112767867966257784727e+1},
    {-INFINITY, 0.6435974729359236, -11.578033659046568, -1.9999077419063978, INFINITY, INFINITY, -0.14388840785854354, 0.43773653591433054, -0.15575340266858775, 8.651386273696317863518896e-3, -4.750035708024002897904833},
    {-INFINITY, 4.935995674662166, -INFINITY, 15.04563056799017, 4.966198024795716, 1.9010028284905252, 0.30480265384806465, 0.5988756419609516, 0.32298732142922937, 3.583664253289274649815853e-8, -1.714429493255563306671966e+1},
    {7.223663482713237, -2.2595846420915477, -3.2602224266088307, 7.262508376379257, -1.9173964502984675, -3.204051368363384, -0.23953543132269395, 0.22971516874513317, -0.2861846740351097, 1.765154218365893842710945e-22, -5.008863398345609267235924e+1},
    {-9.881469928304258, 6.527812584261053, -1.3881285386929865, -9.332796254937188, INFINITY, -0.28420354554253424, 0.7000051532073946, 0.4603809975235256, 0.5522911405750225, 9.91747823293921495937999e-98, -2.233590404348258256193779e+2},
    {7.158692039799221, -7.041366762487204, 8.818168518163137, INFINITY, 0.7246111571876277, 14.74051147216596, 0.07302092920806673, 0.04829302065772516, 0.10826001575563995, 1.129461436399935247879796e-30, -6.895581187566517299210994e+1},
    {-INFINITY, 11.228761583810561, -5.2623147303344195, -11.570079473970381, 12.668955400176733, INFINITY, -0.1525921209717763, -0.3347586281827435, 0.07379173634445037, 1.697734128791247144002641e-52, -1.192051303391003101737656e+2},
    {-15.910163603585055, 10.360246614296937, 2.9451784582106377, INFINITY, 10.556213677703976, 4.312115550045416, 0.21576209876139077, -0.5519239993834614, -0.13716204380806035, 8.21239638495681008181035e-31, -6.927449311583230835360455e+1},
    {-6.136322562351961, -4.8843431844556084, -12.251601054212248, INFINITY, INFINITY, -11.336125104073982, 0.02856495303811261, -0.06196682356479433, -0.1177011677659544, 4.345317463363694707694693e-30, -6.760845396970777174864374e+1},
    {-15.555270455066019, -5.268612950069129, -INFINITY, INFINITY, INFINITY, 3.2981409540564393, 0.04267778542849181, 0.13130269653176938, 0.18276380251048374, 9.995132949528386192149796e-1, -4.868235265074037000415632e-4},
    {3.626590343976341, 1.9326384086057182, 5.1267147385593015, INFINITY, 2.035897683319011, 5.178847968728333, -0.20093203546490154, -0.6275536406858585, 0.20020051848568124, 1.676657619303534318311865e-28, -6.395558030444592932174898e+1},
    {3.9033206925348116, 9.81243754933246, -INFINITY, 3.9345566835115493, 9.836342433035083, -0.4377754876817082, -0.27469105737618743, -0.05627067241287615, 0.116247196179331, 5.552880832557145852502606e-37, -8.348133157876180845449871e+1},
    {9.21255377024802, -INFINITY, 0.24144025163316474, 9.239126485341943, -8.023823226293464, 0.7736293586625537, -0.35134033916473156, 0.1289450430029471, -0.2743153637087075, 1.582879553205356914803027e-29, -6.631572200650149712600425e+1},
    {-INFINITY, 4.686453596997618, -34.43299107347697, 3.752828810485944, 18.392566258276595, 13.087848561562641, 0.04507531726036859, -0.12194662977192317, -0.12521022585363595, 1.389616894741059870578807e-6, -1.348648246410475081623359e+1},
    {-INFINITY, -6.247741165406801, -INFINITY, 9.477223308377397, -6.142267441034974, 21.18849851193145, -0.2890250592327331, -0.03616343456335792, 0.04376288358198697, 1.98543166182574970724643e-10, -2.234001457756575773371495e+1},
    {-0.21400905052935115, 0.7946660598991265, -8.231903607559204, 0.6996150038218606, 1.9420272361724025, -8.118583123232312, -0.025594921072086486, -0.030558945844640924, 0.08663697987575045, 3.131978774426899104070735e-18, -4.03048666727901354098734e+1},
    {-12.998924631746998, -8.871970366589814, -5.253698664336165, 24.80396120287862, -8.730680938381418, -5.191814101942304, 0.07656660615529538, 0.032475059650194135, 0.11229663454649305, 2.556593720167688739899125e-24, -5.432336643743012785692713e+1},
    {-2.462830058519364, -2.8696820916449832, -INFINITY, -2.4210500656172247, 0.4732189383072136, -5.674207924461204, 0.017388376830873974, -0.1560393409128104, -0.010841662062386246, 2.510036481450207414233125e-13, -2.901330892144221164643084e+1},
    {-11.301639490450672, -10.310123758136537, -33.33273560564584, -9.502276778679555, INFINITY, 24.871973245020907, 0.603408631960662, 0.06933960743362731, 0.10214470782181793, 1.026752649603160994838184e-21, -4.832788589845092053816779e+1},
    {9.693766131280842, 6.065509408460146, -INFINITY, 12.969953564145332, 7.212646768423509, 0.5701016095352163, -0.10308422133524331, 0.024554182875594216, -0.16384573908356523, 8.53490396626691190022123e-35, -7.844631415036398424930748e+1},
};
/* h[3], r12, r13, r23, Phi3 (general matrices) */
static const double tvn_cdf_refs[][7] = {
    {-1.591091862902556, -2.949537346159717, 2.3908703774659488, 0.15797603091794465, 0.7435202137234757, -0.3532740720789107, 2.18466290823867754845165e-4},
    {-1.750319041753286, 2.2071394809017093, 2.508187289358439, 0.7876665787231995, -0.5544542153677567, 0.034168829904077436, 3.751527734351578378744182e-2},
    {2.0154542285556385, 1.6635121291999146, -1.246169161044079, -0.44670851031830505, 0.39183153453412134, -0.6718266216434577, 7.855675736739014576866737e-2},
    {-2.8280356450681703, -0.3726787771910094, 0.8850928993548539, 0.7892256985699978, -0.4332634957641504, -0.37253226919499083, 7.099464747042395092289642e-4},
    {-0.830754994274276, -1.2277687151131589, 0.7446182848397935, 0.5927603831501277, 0.42225095740036533, 0.8178615605229812, 6.408886566248341105297804e-2},
    {2.798572054862344, 0.2598570252114145, -0.24111851537559836, 0.7125281328171277, 0.3258845483869929, 0.5072903574974866, 3.213763864353720201638671e-1},
    {2.8091285189910895, 0.022766144972462765, 0.5182984691686263, 0.6017412802594598, -0.5038265744632939, -0.5332941214951974, 2.785403705674514591825844e-1},
    {2.0640871993379033, -0.44677842700663506, 0.6512720176287292, -0.3074940628022904, -0.6117644193042735, -0.11276408766188584, 2.177571012115570883408535e-1},
    {0.8091627363554483, 0.887608429161368, 2.6484515654981227, 0.24597502590951048, -0.11163778413181147, 0.4436516371690128, 6.621687397173926799054773e-1},
    {0.4988257357201791, 2.85404224371959, -1.8554144606591356, -0.4453849658350821, 0.10045375332013451, 0.550818609359602, 2.435324335810015955005611e-2},
    {1.4742118551857057, 2.2979129069262587, -1.0503007628760692, -0.8796680339634086, 0.8498301145269819, -0.6848856522297413, 1.377209452449393459604642e-1},
    {1.8500516847314703, -2.308347923015634, -2.393846288986018, 0.047847301855928004, -0.8755554446017789, 0.2155526047874422, 1.557981778628898384631204e-4},
};

/* ---- end of generated tables ---- */

/* Deterministic uniform numbers in [0, 1) (64-bit LCG, Knuth's MMIX
   constants); the tests need only reproducible spread, not quality. */
static double unif(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1p-53;
}

static void test_closed_forms(void)
{
    double b[3] = {1.0, 4.0, 2.0}, r[3] = {0.6, 1.0 / 3.0, 11.0 / 15.0};
    tap_close(mvni_tvn_cdf(b, r), 0.82798489745683348, 5e-14, "Genz example (1,4,2) (REFERENCE_VALUES.md)");
    double z[3] = {0.0, 0.0, 0.0};
    tap_close(mvni_tvn_cdf(z, r), 0.26876068085314925, 4 * DBL_EPSILON, "orthant, closed form value");

    /* Orthant 1/8 + (asin r12 + asin r13 + asin r23)/(4 pi) over random
       positive definite R, evaluated at a tiny nonzero limit so that the
       general path (not the closed-form shortcut) runs. */
    unsigned long long s = 12345;
    double worst = 0.0;
    int n = 0;
    while (n < 200) {
        double q[3] = {2 * unif(&s) - 1, 2 * unif(&s) - 1, 2 * unif(&s) - 1};
        double det = 1 - q[0] * q[0] - q[1] * q[1] - q[2] * q[2] + 2 * q[0] * q[1] * q[2];
        if (det <= 1e-3)
            continue;
        double h[3] = {1e-300, -1e-300, 1e-300};
        double want = 0.125 + (asin(q[0]) + asin(q[1]) + asin(q[2])) / (4 * PI);
        worst = fmax(worst, fabs(mvni_tvn_cdf(h, q) - want));
        ++n;
    }
    tap_diag("orthant over 200 random R: max abs error %.3g", worst);
    tap_ok(worst <= 5e-14, "orthant closed form, 200 random matrices, within 5e-14");

    /* Independent blocks. */
    worst = 0.0;
    for (int i = 0; i < 100; ++i) {
        double h[3] = {6 * unif(&s) - 3, 6 * unif(&s) - 3, 6 * unif(&s) - 3};
        double rho = 1.98 * unif(&s) - 0.99;
        double q1[3] = {0.0, 0.0, rho}; /* X1 independent of (X2, X3) */
        double q2[3] = {rho, 0.0, 0.0}; /* X3 independent of (X1, X2) */
        double q3[3] = {0.0, rho, 0.0};
        worst = fmax(worst, fabs(mvni_tvn_cdf(h, q1) - mvn_norm_P(h[0]) * mvni_bvn_cdf(h[1], h[2], rho)));
        worst = fmax(worst, fabs(mvni_tvn_cdf(h, q2) - mvn_norm_P(h[2]) * mvni_bvn_cdf(h[0], h[1], rho)));
        worst = fmax(worst, fabs(mvni_tvn_cdf(h, q3) - mvn_norm_P(h[1]) * mvni_bvn_cdf(h[0], h[2], rho)));
    }
    tap_ok(worst <= 1e-16, "one variable independent: Phi * Phi2 (max %.2g)", worst);

    /* Singular: r23 = 1 and r23 = -1; infinite limits. */
    double h[3] = {0.3, -0.2, 0.5};
    double q[3] = {0.4, 0.4, 1.0};
    tap_close(mvni_tvn_cdf(h, q), mvni_bvn_cdf(0.3, -0.2, 0.4), 1e-16, "r23 = 1: X3 = X2");
    double qm[3] = {0.4, -0.4, -1.0};
    tap_close(mvni_tvn_cdf(h, qm), mvni_bvn_cdf(0.3, -0.2, 0.4) - mvni_bvn_cdf(0.3, -0.5, 0.4), 1e-16,
              "r23 = -1: X3 = -X2");
    double hi[3] = {0.3, INFINITY, 0.5};
    double q4[3] = {0.2, 0.5, -0.3};
    tap_close(mvni_tvn_cdf(hi, q4), mvni_bvn_cdf(0.3, 0.5, 0.5), 1e-16, "infinite limit drops a variable");
    double hm[3] = {0.3, -INFINITY, 0.5};
    tap_ok(mvni_tvn_cdf(hm, q4) == 0.0, "-inf limit gives 0");

    /* Permutation invariance. */
    worst = 0.0;
    for (int i = 0; i < 100; ++i) {
        double a[3] = {6 * unif(&s) - 3, 6 * unif(&s) - 3, 6 * unif(&s) - 3};
        double q5[3] = {1.6 * unif(&s) - 0.8, 1.6 * unif(&s) - 0.8, 1.6 * unif(&s) - 0.8};
        double det = 1 - q5[0] * q5[0] - q5[1] * q5[1] - q5[2] * q5[2] + 2 * q5[0] * q5[1] * q5[2];
        if (det <= 1e-3)
            continue;
        double p0 = mvni_tvn_cdf(a, q5);
        double a2[3] = {a[1], a[2], a[0]}, q6[3] = {q5[2], q5[0], q5[1]}; /* (2,3,1) */
        double a3[3] = {a[2], a[1], a[0]}, q7[3] = {q5[2], q5[1], q5[0]}; /* (3,2,1) */
        worst = fmax(worst, fabs(p0 - mvni_tvn_cdf(a2, q6)));
        worst = fmax(worst, fabs(p0 - mvni_tvn_cdf(a3, q7)));
    }
    tap_diag("permutation invariance: max %.3g", worst);
    tap_ok(worst <= 5e-14, "permutation invariance within 5e-14");
}

static void test_cdf_refs(void)
{
    double worst = 0.0;
    int bad = 0;
    for (size_t i = 0; i < COUNT(tvn_cdf_refs); ++i) {
        const double *t = tvn_cdf_refs[i];
        double got = mvni_tvn_cdf(t, t + 3);
        double e = fabs(got - t[6]);
        worst = fmax(worst, e);
        if (!(e <= 5e-14)) {
            ++bad;
            tap_diag("tvn case %zu: got %.17g want %.17g", i, got, t[6]);
        }
    }
    tap_diag("tvn cdf vs conditional mpmath integral: max abs error %.3g", worst);
    tap_ok(bad == 0, "tvn cdf within 5e-14 of the mpmath conditional integral (%zu general matrices)",
           COUNT(tvn_cdf_refs));
}

static void test_rect(void)
{
    double ml = 0.0, mp = 0.0;
    int bad = 0;
    for (size_t i = 0; i < COUNT(tvn_rect_refs); ++i) {
        const double *t = tvn_rect_refs[i];
        double p, lp;
        double err = mvni_tvn_rect(t, t + 3, t + 6, &p, &lp);
        /* log p: relative to |log p| + 40 (near p = 1 log p ~ p - 1). */
        double el = fabs(lp - t[10]) / (fabs(t[10]) + 40.0);
        double ep = t[9] >= DBL_MIN ? fabs(p - t[9]) / t[9] : 0.0;
        ml = fmax(ml, el);
        mp = fmax(mp, ep);
        int ok = el <= 1e-13 && ep <= 1e-10 && fabs(p - t[9]) <= err + DBL_TRUE_MIN;
        if (!ok) {
            ++bad;
            tap_diag("rect %zu: p %.17g lp %.17g err %.3g want %.17g %.17g", i, p, lp, err, t[9], t[10]);
        }
    }
    tap_diag("tvn rect: max error of log p %.3g (relative to |log p| + 40), of p %.3g relative", ml, mp);
    tap_ok(bad == 0, "tvn rect: log p within 1e-13 (|log p| + 40), p within 1e-10 relative and "
           "within the returned bound (%zu one-factor cases, tails to 1e-1000)", COUNT(tvn_rect_refs));

    /* Independent third variable: rectangle = bvn rect * interval, also in
       the tail, where the tvn code takes its log-quadrature path. */
    double lo[3] = {-INFINITY, -INFINITY, 3.0}, hi[3] = {-9.0, -8.0, 3.5}, r[3] = {0.6, 0.0, 0.0};
    double p, lp, p2, lp2;
    mvni_tvn_rect(lo, hi, r, &p, &lp);
    mvni_bvn_rect(lo, hi, 0.6, &p2, &lp2);
    double want = lp2 + mvni_log_norm_diff(3.0, 3.5);
    tap_rel(lp, want, 1e-13, "tail rectangle with an independent variable: log p = log p2 + log p1");
    /* Empty. */
    double e1[3] = {0.0, 0.0, 1.0}, e2[3] = {1.0, 1.0, 1.0};
    mvni_tvn_rect(e1, e2, r, &p, &lp);
    tap_ok(p == 0.0 && lp == -INFINITY, "empty rectangle");
    /* Inclusion-exclusion against the cdf. */
    double a[3] = {-0.5, -1.0, 0.2}, b[3] = {0.7, 0.4, 1.9}, q[3] = {0.3, -0.4, 0.5};
    double err = mvni_tvn_rect(a, b, q, &p, &lp);
    double ie = 0.0;
    for (int s = 0; s < 8; ++s) {
        double c[3];
        int neg = 0;
        for (int i = 0; i < 3; ++i) {
            c[i] = (s >> i) & 1 ? a[i] : b[i];
            neg ^= (s >> i) & 1;
        }
        ie += neg ? -mvni_tvn_cdf(c, q) : mvni_tvn_cdf(c, q);
    }
    tap_close(p, ie, 4e-13, "rect = 8-corner inclusion-exclusion");
    tap_ok(err > 0.0 && err <= 1e-12, "error bound returned (%.3g)", err);
}

/*
 * Singular R of rank 2: X_i = u_i . Z with Z a standard bivariate normal
 * and u_i = (cos th_i, sin th_i), so r_ij = cos(th_i - th_j).  A
 * rectangle with l_i < 0 < h_i is then a polygon around the origin in the
 * plane of Z: the half-planes u_i . Z < h_i and -u_i . Z < -l_i.  In polar
 * coordinates (Z = rho (cos phi, sin phi), rho Rayleigh) its probability is
 *   P = 1/(2 pi) int_0^2pi (1 - exp(-rho(phi)^2 / 2)) dphi,
 *   rho(phi) = min over the half-planes with cos(phi - a_k) > 0 of
 *              c_k / cos(phi - a_k)
 * (a_k, c_k the direction and bound of half-plane k; no such k: 1).  The
 * integrand is smooth between the angles where the active half-plane
 * changes (a_k +- pi/2 and the crossings c_k cos(phi - a_m) = c_m
 * cos(phi - a_k)), which are computed and cut at, so a fixed rule reaches
 * rounding level: a reference that shares nothing with the kernel.
 */
static double polar_polygon(int n, const double *a, const double *c)
{
    double cut[64];
    int nc = 0;
    const double tau = 2.0 * PI;
    for (int k = 0; k < n; ++k) {
        cut[nc++] = a[k] + 0.5 * PI;
        cut[nc++] = a[k] - 0.5 * PI;
        for (int m = k + 1; m < n; ++m) {
            double x = c[k] * sin(a[m]) - c[m] * sin(a[k]);
            double y = -(c[k] * cos(a[m]) - c[m] * cos(a[k]));
            double phi = atan2(y, x);
            cut[nc++] = phi;
            cut[nc++] = phi + PI;
        }
    }
    for (int k = 0; k < nc; ++k)
        cut[k] = fmod(fmod(cut[k], tau) + tau, tau);
    cut[nc++] = 0.0;
    cut[nc++] = tau;
    for (int i = 1; i < nc; ++i) /* insertion sort */
        for (int j = i; j > 0 && cut[j] < cut[j - 1]; --j) {
            double t = cut[j];
            cut[j] = cut[j - 1], cut[j - 1] = t;
        }
    /* 32 panels of 20 points per piece; the pieces' sums are added with
       Kahan's compensation (plain sums of the 3e4 terms moved the result
       by 1e-13). */
    double gx[20], gw[20], sum = 0.0, comp = 0.0;
    mvni_gauss_legendre(20, gx, gw);
    for (int i = 0; i + 1 < nc; ++i) {
        const int sub = 32;
        double h = (cut[i + 1] - cut[i]) / sub;
        for (int s = 0; s < sub; ++s) {
            double panel = 0.0;
            for (int q = 0; q < 20; ++q) {
                double phi = cut[i] + h * (s + 0.5 + 0.5 * gx[q]), rho = INFINITY;
                for (int k = 0; k < n; ++k) {
                    double cs = cos(phi - a[k]);
                    if (cs > 0.0)
                        rho = fmin(rho, c[k] / cs);
                }
                panel += gw[q] * -expm1(-0.5 * rho * rho);
            }
            double y = 0.5 * h * panel - comp, t = sum + y;
            comp = (t - sum) - y;
            sum = t;
        }
    }
    return sum / tau;
}

/* A random rectangle around the origin for the directions th (upper
   limits in (0.05, 3), lower limits -inf or in (-3, -0.05)), and its
   polygon's probability by polar_polygon. */
static double random_polygon(const double th[3], unsigned long long *s, double lo[3], double hi[3])
{
    double a[6], c[6];
    int m = 0;
    for (int i = 0; i < 3; ++i) {
        hi[i] = 0.05 + 2.95 * unif(s);
        lo[i] = unif(s) < 0.5 ? -INFINITY : -(0.05 + 2.95 * unif(s));
        a[m] = th[i], c[m++] = hi[i];
        if (lo[i] > -INFINITY)
            a[m] = th[i] + PI, c[m++] = -lo[i];
    }
    return polar_polygon(m, a, c);
}

static void test_singular(void)
{
    unsigned long long s = 97531;
    int n = 0, bad = 0, bad_api = 0, tries = 0;
    double worst = 0.0, worst_api = 0.0;
    mvn_context *ctx = mvn_context_alloc();
    while (n < 200 && ++tries < 10000) {
        double th[3], r[3], lo[3], hi[3];
        for (int i = 0; i < 3; ++i)
            th[i] = 2.0 * PI * unif(&s);
        r[0] = cos(th[0] - th[1]), r[1] = cos(th[0] - th[2]), r[2] = cos(th[1] - th[2]);
        if (fmax(fabs(r[0]), fmax(fabs(r[1]), fabs(r[2]))) > 0.999)
            continue;
        double want = random_polygon(th, &s, lo, hi), p, lp;
        double err = mvni_tvn_rect(lo, hi, r, &p, &lp);
        double e = fabs(p - want);
        worst = fmax(worst, e);
        if (!(e <= 5e-14 && e <= err + 1e-15)) {
            if (bad++ < 5)
                tap_diag("singular %d: p %.17g want %.17g err %.3g", n, p, want, err);
        }
        /* Through the API, with the covariance scaled: the solver's
           routing of a singular 3 x 3 block (no QMC). */
        double sd[3] = {0.5, 2.0, 3.0}, S[9];
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j)
                S[i * 3 + j] = sd[i] * sd[j] * cos(th[i] - th[j]);
        double l2[3], h2[3], q, lq, ae;
        for (int i = 0; i < 3; ++i)
            l2[i] = lo[i] * sd[i], h2[i] = hi[i] * sd[i];
        int st = mvn_prob(ctx, 3, l2, h2, NULL, S, &q, &lq, &ae);
        double ea = fabs(q - want);
        worst_api = fmax(worst_api, ea);
        if (st != MVN_OK || !(ea <= 1e-13 && ea <= ae + 1e-15) || mvn_context_evaluations(ctx) != 0.0) {
            if (bad_api++ < 5)
                tap_diag("singular %d via mvn_prob: status %d p %.17g want %.17g abserr %.3g evals %g", n,
                         st, q, want, ae, mvn_context_evaluations(ctx));
        }
        ++n;
    }
    mvn_context_free(ctx);
    tap_diag("rank-2 R, %d rectangles around the origin: max |p - polar reference| %.3g (kernel), "
             "%.3g (mvn_prob)", n, worst, worst_api);
    tap_ok(n == 200 && bad == 0, "singular R (rank 2): the kernel within 5e-14 of the polar reference "
           "and within its bound (%d misses)", bad);
    tap_ok(n == 200 && bad_api == 0, "singular Sigma (rank 2) through mvn_prob: exact route, within 1e-13 "
           "and its abserr (%d misses)", bad_api);

    /* Nearly singular: the unit vectors tilted out of the plane by
       angles ps_i ~ 1e-6 (R = their Gram matrix, det R ~ 1e-12, within
       the factorization's tolerance of singular but positive definite,
       so the conditional pair's |rho| stays below 1 by about 1e-12).  By
       the symmetry of the third coordinate P moves from the planar
       polygon's value by O(ps^2) = 1e-12 only: the polar reference holds
       to about that.  Until 2026-12 the solver sent these to QMC, with an
       error bound of 3 sqrt(det / minor) ~ 1e-5. */
    int nbad = 0, nn = 0;
    double nworst = 0.0;
    for (int t = 0; t < 400 && nn < 50; ++t) {
        double th[3], ps[3], u[3][3], r[3], lo[3], hi[3];
        for (int i = 0; i < 3; ++i) {
            th[i] = 2.0 * PI * unif(&s);
            ps[i] = 1e-6 * (2.0 * unif(&s) - 1.0);
            u[i][0] = cos(th[i]) * cos(ps[i]), u[i][1] = sin(th[i]) * cos(ps[i]), u[i][2] = sin(ps[i]);
        }
        r[0] = u[0][0] * u[1][0] + u[0][1] * u[1][1] + u[0][2] * u[1][2];
        r[1] = u[0][0] * u[2][0] + u[0][1] * u[2][1] + u[0][2] * u[2][2];
        r[2] = u[1][0] * u[2][0] + u[1][1] * u[2][1] + u[1][2] * u[2][2];
        if (fmax(fabs(r[0]), fmax(fabs(r[1]), fabs(r[2]))) > 0.999 || !mvni_tvn_singular_ok(r))
            continue;
        double want = random_polygon(th, &s, lo, hi), p, lp;
        double err = mvni_tvn_rect(lo, hi, r, &p, &lp);
        nworst = fmax(nworst, fabs(p - want));
        if (!(fabs(p - want) <= 1e-10) || !(err <= 1e-9)) {
            if (nbad++ < 5)
                tap_diag("nearly singular %d: p %.17g planar %.17g err %.3g", nn, p, want, err);
        }
        ++nn;
    }
    tap_ok(nn == 50 && nbad == 0, "nearly singular R (det ~ 1e-12): within 1e-10 of the planar polygon "
           "(O(1e-12) apart), error bound below 1e-9 (max %.2g over %d)", nworst, nn);

    /* The orthant at 0 of a rank-2 R: the closed form 1/8 + (asin r12 +
       asin r13 + asin r23) / (4 pi) holds on the boundary of the positive
       semidefinite matrices as well (it is continuous there).  The
       limits are 0 in the rectangle form, which has no closed-form
       shortcut. */
    worst = 0.0;
    for (int i = 0; i < 100; ++i) {
        double th[3] = {2.0 * PI * unif(&s), 2.0 * PI * unif(&s), 2.0 * PI * unif(&s)};
        double r[3] = {cos(th[0] - th[1]), cos(th[0] - th[2]), cos(th[1] - th[2])};
        if (fmax(fabs(r[0]), fmax(fabs(r[1]), fabs(r[2]))) > 0.999)
            continue;
        double lo[3] = {-INFINITY, -INFINITY, -INFINITY}, hi[3] = {0.0, 0.0, 0.0}, p, lp;
        mvni_tvn_rect(lo, hi, r, &p, &lp);
        worst = fmax(worst, fabs(p - (0.125 + (asin(r[0]) + asin(r[1]) + asin(r[2])) / (4 * PI))));
    }
    tap_ok(worst <= 1e-13, "singular R: orthant at 0 = 1/8 + sum asin / (4 pi) within 1e-13 (max %.2g)", worst);

    /* Tails of a singular R, where the polygon lies away from the
       origin: mpmath (60 digits) integrates phi(z1) P(z2 in bounds | z1)
       over the plane's first coordinate with r_ij = cos(th_i - th_j), the
       angles (0.1, 0.6, 1.1), (0.1, 1.0, 2.1) and (0.3, 0.9, 1.2), panels
       of 0.02 around the peak and cuts at the kinks.  In the third case
       (angles (0.2, 1.1, 1.7)) the limit of X2 is inactive (X2 < -21
       follows from the others where they hold), so P is the bivariate
       P(X1 < -20, X3 < -19.5; r13), integrated by mpmath in 60 digits as
       phi(x) Phi((-19.5 - r13 x) / sqrt(1 - r13^2)) over x < -20 (the
       plane's integral differed from it by 8e-12 in log P, a quadrature
       error of that route at P = 1e-162).  upper[3], r12, r13, r23, P,
       log P; lower limits -inf. */
    static const double tails[][8] = {
        {-3.0, -4.0, -2.5, 0.8775825618903728, 0.5403023058681398, 0.8775825618903726, 2.880224692731808997311e-5, -10.45505715555598799103},
        {-6.0, -5.5, -7.0, 0.6216099682706644, -0.4161468365471424, 0.4535961214255773, 4.328606139206738461078e-35, -79.12523267240508801477},
        {-20.0, -21.0, -19.5, 0.6216099682706644, 0.0707372016677029, 0.8253356149096783, 2.685033046374199981614e-162, -372.0310920293759366774},
        {-8.0, -7.0, -7.5, 0.8253356149096782, 0.6216099682706645, 0.9553364891256061, 5.759827613263181967536e-19, -41.99820922087984701958},
    };
    int tbad = 0;
    for (size_t i = 0; i < COUNT(tails); ++i) {
        const double *t = tails[i];
        double lo[3] = {-INFINITY, -INFINITY, -INFINITY}, p, lp;
        double err = mvni_tvn_rect(lo, t, t + 3, &p, &lp);
        double el = fabs(lp - t[7]) / (fabs(t[7]) + 40.0);
        if (!(el <= 1e-13 && fabs(p - t[6]) <= err + DBL_TRUE_MIN) || !mvni_tvn_singular_ok(t + 3)) {
            ++tbad;
            tap_diag("singular tail %zu: log p %.17g want %.17g, p %.17g want %.17g err %.3g", i, lp, t[7],
                     p, t[6], err);
        }
    }
    tap_ok(tbad == 0, "singular R, tails to P = 1e-162: log p within 1e-13 (|log p| + 40) of mpmath, "
           "p within the returned bound");
}

/*
 * Tail orthants whose path integral is one-signed (every term >= 0): p <
 * 1e-5 is then computed by the path integral to a relative tolerance
 * instead of the conditional integral.  References: mpmath, 30 digits,
 * the nested conditional integral (phi(x) times an inner one-dimensional
 * bivariate integral), panels of 0.25 / 0.5 near the peaks.  upper[3],
 * r12, r13, r23, log P; lower limits -inf.  The fourth has one negative
 * correlation (the path is one-signed with another variable first than in
 * Genz's order).  The first case is where the
 * conditional integral was 5.8e-13 off (relative, above its bound); in the
 * third the references agree to 2e-12 in log P only (mpmath with coarser
 * panels was 2.4e-8 off), so p is checked against the bound in the first
 * two.  The quadrature work (conditional integral: 1e4 .. 2e4 here; path
 * integral: the bivariate P0's tail path only, about 240) shows the route.
 */
static void test_tail_one_signed(void)
{
    static const double cases[][7] = {
        {-2.5392526237441961, -3.3390090459564856, -7.1911553257000387, -0.26465269807645014,
         0.13061816172372831, 0.18297069278214786, -37.43532580001305648542},
        {-6.0, -7.0, -5.5, 0.5, 0.3, 0.6, -36.01135370606290744019},
        {-12.0, -10.0, -11.0, 0.2, 0.7, 0.4, -109.7185096203463685231},
        /* One negative correlation: one-signed with X3 first (its
           correlations 0.4, 0.5), not in Genz's order (X1 first). */
        {-5.0, -6.0, -4.5, -0.3, 0.4, 0.5, -49.35710835230636366383},
    };
    int bad = 0;
    double wmax = 0.0;
    for (size_t i = 0; i < COUNT(cases); ++i) {
        const double *t = cases[i];
        const double lo[3] = {-INFINITY, -INFINITY, -INFINITY};
        double p, lp, w = mvni_quad_work();
        const double err = mvni_tvn_rect(lo, t, t + 3, &p, &lp);
        w = mvni_quad_work() - w;
        wmax = fmax(wmax, w);
        const double el = fabs(lp - t[6]) / (fabs(t[6]) + 40.0);
        const int in_bound = i == 2 || fabs(expm1(t[6] - lp)) * p <= err;
        if (!(el <= 1e-13 && in_bound && w < 2000.0)) {
            ++bad;
            tap_diag("one-signed tail %zu: log p %.17g want %.17g, err/p %.3g, work %.0f", i, lp, t[6],
                     err / p, w);
        }
    }
    tap_ok(bad == 0, "tail orthants with a one-signed path integral: log p within 1e-13 "
           "(|log p| + 40) of mpmath, p within the bound, by the path integral (work at most %.0f)",
           wmax);
}

/*
 * Tiny boxes around the origin with a half-infinite third variable: a box
 * scaled by s (limits l s, u s) has P = s^2 w1 w2 phi_2(0, 0; r12)
 * P(X3 < 0 | X1 = X2 = 0) (1 + O(s)), the last factor 1/2.  The
 * conditional integral used to slice over X3 (the variable with the
 * smallest correlations), whose O(1) values shift the pair's box of width
 * O(s) by O(1) and cancel its width: log p off by up to 12 from
 * s = 1e-11 down, with relerr 0.26 .. 1, and 20-55 ms a call (the multivariate
 * t's outer quadrature at d = 3 spends most of its nodes there: 2.3 s for
 * df 0.5).  It now slices over the variable that loses the fewest digits
 * (tvn_slice_cancellation).  Checked for s = 1e-12 .. 1e-150 (P down to
 * 1e-301) at the correlations of the t case and one more: log p within
 * 1e-13 (|log p| + 40), within the returned bound, at most 2e4 quadrature
 * evaluations (2e5 and more before).
 */
static void test_tiny_box(void)
{
    static const double rs[2][3] = {{0.55470019622522912, -0.25131234497501318,
                                     0.20100756305184242},
                                    {-0.3, 0.6, 0.45}};
    static const double ss[5] = {1e-12, 1e-20, 1e-50, 1e-100, 1e-150};
    const double l0[2] = {-0.61394061351918, -1.37030102509532},
                 h0[2] = {0.96476382123014, 0.42163200310495};
    int bad = 0;
    double worst = 0.0, wmax = 0.0;
    for (int k = 0; k < 2; ++k)
        for (int m = 0; m < 5; ++m) {
            const double s = ss[m], *r = rs[k];
            const double lo[3] = {l0[0] * s, l0[1] * s, -INFINITY};
            const double hi[3] = {h0[0] * s, h0[1] * s, 0.76277007722 * s};
            const double w1 = hi[0] - lo[0], w2 = hi[1] - lo[1];
            const double want = log(w1) + log(w2) - log(2.0 * M_PI) -
                                0.5 * log1p(-r[0] * r[0]) + log(0.5);
            double p, lp, w = mvni_quad_work();
            const double err = mvni_tvn_rect(lo, hi, r, &p, &lp);
            w = mvni_quad_work() - w;
            wmax = fmax(wmax, w);
            const double el = fabs(lp - want) / (fabs(want) + 40.0);
            worst = fmax(worst, el);
            /* The bound, relative (p underflows from s = 1e-150 on). */
            const double rel = p > 0.0 ? err / p : INFINITY;
            if (!(el <= 1e-13 && fabs(lp - want) <= rel + 1e-13 * fabs(want) && w <= 2e4)) {
                ++bad;
                tap_diag("r set %d, s %g: log p %.17g want %.17g, err/p %.3g, work %.0f", k, s,
                         lp, want, rel, w);
            }
        }
    tap_ok(bad == 0, "boxes of width 1e-12 .. 1e-150 around the origin, X3 < 0.76 s: log p "
           "within %.2g (|log p| + 40) of s^2 w1 w2 phi_2(0) / 2, within the bound, work "
           "at most %.0f", worst, wmax);
}

/* A variable independent of the pair to rounding (correlations 1e-25):
   the product of its interval's probability and the pair's, without the
   conditional integral (mvni_quad_work: the pair's own tail integral only,
   under 5% of the general route's; 10 ms a call before for
   the pair at -1 + 5e-9, fuzz finding timeout-t-prob-3d-slow-trivariate),
   and the same numbers as the general route at correlations 1e-12, where
   the product no longer applies (|log p| differs by O(1e-12) there): a
   moderate box, a deep tail, and a nearly singular pair. */
static void test_independent_variable(void)
{
    static const double boxes[3][6] = {
        {-0.7, -1.2, -INFINITY, 1.3, 0.4, 0.9},
        {-INFINITY, -INFINITY, 20.0, -18.0, -15.0, INFINITY},
        {-1.0, -INFINITY, -INFINITY, 6.0, -0.67, -0.2}};
    static const double pair_r[3] = {-0.6, 0.35, -1.0 + 5e-9};
    int bad = 0;
    double worst = 0.0;
    for (int k = 0; k < 3; ++k) {
        const double *lo = boxes[k], *hi = boxes[k] + 3;
        const double rt[3] = {1e-25, -3e-26, pair_r[k]}, rg[3] = {1e-12, -3e-13, pair_r[k]};
        double pt, lpt, pg, lpg;
        double w = mvni_quad_work();
        mvni_tvn_rect(lo, hi, rt, &pt, &lpt);
        w = mvni_quad_work() - w;
        double wg = mvni_quad_work();
        mvni_tvn_rect(lo, hi, rg, &pg, &lpg);
        wg = mvni_quad_work() - wg;
        const double d = fabs(lpt - lpg) / fmax(1.0, fabs(lpg));
        worst = fmax(worst, d);
        if (!(w <= 0.05 * wg + 1000.0 && d <= 1e-9 && isfinite(lpt))) {
            ++bad;
            tap_diag("box %d: log p %.17g (work %.0f), general route %.17g (work %.0f)", k, lpt,
                     w, lpg, wg);
        }
    }
    tap_ok(bad == 0, "a variable with correlations 1e-25: the product, under 5%% of the general "
           "route's quadrature work, log p within %.2g (relative) of it at correlations 1e-12",
           worst);
}

int main(void)
{
    (void)tap_skip_all;
    test_closed_forms();
    test_cdf_refs();
    test_rect();
    test_singular();
    test_tail_one_signed();
    test_tiny_box();
    test_independent_variable();
    return tap_exit();
}
